import { Inject, Injectable, Logger, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Settings } from '@kineo/config';
import { DomainError } from '@kineo/errors';
import type { Redis } from 'ioredis';
import { tenantContextOf } from '../../engine/auth/auth.guards';
import { SETTINGS } from '../../engine/config/settings.module';
import type { HttpStatusCarrier } from '../../engine/errors/http-error.filter';
import { REDIS } from '../../engine/redis/redis.module';

const WINDOW_MS = 60_000;

export class RateLimitedError extends DomainError implements HttpStatusCarrier {
  readonly httpStatus = 429;

  constructor(who: 'you' | 'your organisation', limit: number, retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super('RATE_LIMITED', `Too many analytics requests: ${who} may make ${limit} a minute. Try again in ${seconds} s.`, { retryAfterSeconds: seconds });
  }
}

/**
 * Per-user and per-tenant limits on analytics requests (GraphQL analytics operations and exports),
 * counted in Redis (the @nestjs/throttler storage for Redis) so every gateway process shares them.
 * Kept apart from any global throttler so sign-in limits and these never share counters. Redis
 * down: requests go through uncounted (the cache is down too, and answers still come).
 */
@Injectable()
export class AnalyticsRateLimitGuard implements CanActivate {
  private readonly logger = new Logger('AnalyticsRateLimit');
  private readonly storage: ThrottlerStorageRedisService;
  private failing = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    this.storage = new ThrottlerStorageRedisService(redis);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const tenant = tenantContextOf(context);
    await this.check(`analytics:user:${tenant.userId}`, 'user', this.settings.ANALYTICS_RATE_LIMIT_PER_USER, 'you');
    await this.check(`analytics:tenant:${tenant.tenantId}`, 'tenant', this.settings.ANALYTICS_RATE_LIMIT_PER_TENANT, 'your organisation');
    return true;
  }

  private async check(key: string, name: string, limit: number, who: 'you' | 'your organisation'): Promise<void> {
    if (this.redis.status !== 'ready') return this.unavailable(new Error(`connection is ${this.redis.status}`));
    let record;
    try {
      record = await this.storage.increment(key, WINDOW_MS, limit, WINDOW_MS, name);
    } catch (error) {
      return this.unavailable(error);
    }
    this.failing = false;
    // The storage gives the time left in whole seconds.
    if (record.isBlocked) throw new RateLimitedError(who, limit, record.timeToBlockExpire);
  }

  private unavailable(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn(`Rate limits not counted while Redis is unavailable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Counts the request against the caller's and their tenant's analytics rate limits. */
export const AnalyticsRateLimit = () => UseGuards(AnalyticsRateLimitGuard);
