import { Injectable } from '@nestjs/common';
import { connectionFailureCode, type PrismaClient } from '@kineo/db';
import { HealthIndicatorService, type HealthCheckAttempt } from '@nestjs/terminus';
import { InjectPrisma } from '../database/database.module';

const TIMEOUT_MS = 2_000;

@Injectable()
export class PostgresHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @InjectPrisma() private readonly prisma: PrismaClient,
  ) {}

  check<const Key extends string>(key: Key): HealthCheckAttempt<Key> {
    return this.indicators
      .check(key)
      .attempt(async () => {
        try {
          await this.prisma.$queryRaw`SELECT 1`;
        } catch (error) {
          // /health is public: say what kind of failure it is, not where the database lives.
          const code = connectionFailureCode(error);
          throw new Error(code ? `unreachable (${code})` : 'query failed', { cause: error });
        }
      })
      .withTimeout(TIMEOUT_MS);
  }
}
