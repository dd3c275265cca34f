import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { PostgresHealthIndicator } from './postgres.health';
import { RedisHealthIndicator } from './redis.health';
import { WarehouseHealthIndicator } from './warehouse.health';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: PostgresHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly warehouse: WarehouseHealthIndicator,
  ) {}

  /** Readiness: 200 when every dependency answers, 503 naming the ones that do not. */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.postgres.check('postgres'),
      () => this.redis.check('redis'),
      () => this.warehouse.check('warehouse'),
    ]);
  }

  /** Liveness: the process serves requests; deliberately independent of any dependency. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
