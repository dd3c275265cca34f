import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthCheckAttempt } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { InjectRedis } from '../redis/redis.module';

const TIMEOUT_MS = 1_000;

@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @InjectRedis() private readonly redis: Redis,
  ) {}

  check<const Key extends string>(key: Key): HealthCheckAttempt<Key> {
    return this.indicators
      .check(key)
      .attempt(async () => {
        // While ioredis is reconnecting a PING would only wait in its offline queue.
        if (this.redis.status !== 'ready') throw new Error(`not connected (${this.redis.status})`);
        let reply: string;
        try {
          reply = await this.redis.ping();
        } catch (error) {
          throw new Error('PING failed', { cause: error });
        }
        if (reply !== 'PONG') throw new Error('unexpected reply to PING');
      })
      .withTimeout(TIMEOUT_MS);
  }
}
