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

type CounterRecord = Awaited<ReturnType<ThrottlerStorageRedisService['increment']>>;

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
    // Both counters in one Redis round trip (the connection pipelines commands sent together); the
    // caller's own limit is reported first when both are reached.
    const [user, organisation] = await Promise.all([
      this.count(`analytics:user:${tenant.userId}`, 'user', this.settings.ANALYTICS_RATE_LIMIT_PER_USER),
      this.count(`analytics:tenant:${tenant.tenantId}`, 'tenant', this.settings.ANALYTICS_RATE_LIMIT_PER_TENANT),
    ]);
    if (user?.isBlocked) throw new RateLimitedError('you', this.settings.ANALYTICS_RATE_LIMIT_PER_USER, user.timeToBlockExpire);
    if (organisation?.isBlocked) throw new RateLimitedError('your organisation', this.settings.ANALYTICS_RATE_LIMIT_PER_TENANT, organisation.timeToBlockExpire);
    return true;
  }

  /** The counter after this request (its time left is in whole seconds), or null when Redis cannot count. */
  private async count(key: string, name: string, limit: number): Promise<CounterRecord | null> {
    if (this.redis.status !== 'ready') {
      this.unavailable(new Error(`connection is ${this.redis.status}`));
      return null;
    }
    try {
      const record = await this.storage.increment(key, WINDOW_MS, limit, WINDOW_MS, name);
      this.failing = false;
      return record;
    } catch (error) {
      this.unavailable(error);
      return null;
    }
  }

  private unavailable(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn(`Rate limits not counted while Redis is unavailable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Counts the request against the caller's and their tenant's analytics rate limits. */
export const AnalyticsRateLimit = () => UseGuards(AnalyticsRateLimitGuard);
