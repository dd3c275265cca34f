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
        // Sent whatever the connection state: while connecting it waits for the connection, while
        // reconnecting ioredis fails it after maxRetriesPerRequest, and the timeout bounds both.
        let reply: string;
        try {
          reply = await this.redis.ping();
        } catch (error) {
          throw new Error(`PING failed (connection ${this.redis.status})`, { cause: error });
        }
        if (reply !== 'PONG') throw new Error('unexpected reply to PING');
      })
      .withTimeout(TIMEOUT_MS);
  }
}
