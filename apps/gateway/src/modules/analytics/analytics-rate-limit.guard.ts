import { Inject, Injectable, Logger, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { AnalyticsFilter } from '@kineo/analytics';
import type { TenantContext } from '@kineo/auth';
import type { Settings } from '@kineo/config';
import { DomainError } from '@kineo/errors';
import type { Redis } from 'ioredis';
import { tenantContextOf } from '../../engine/auth/auth.guards';
import { authSettled, requestOf } from '../../engine/auth/request-auth.util';
import { SETTINGS } from '../../engine/config/settings.module';
import type { HttpStatusCarrier } from '../../engine/errors/http-error.filter';
import { REDIS } from '../../engine/redis/redis.module';
import { withoutNulls } from './analytics-input.util';
import { keepPrefetched } from './analytics-prefetch.util';
import { scopeOfContext, type ManagerReach } from './analytics-scope.service';
import { AnalyticsService } from './analytics.service';

const WINDOW_MS = 60_000;

type CounterRecord = Awaited<ReturnType<ThrottlerStorageRedisService['increment']>>;
type Counters = Promise<[CounterRecord | null, CounterRecord | null]>;

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
 *
 * A GraphQL request's session is still being checked in Postgres when this guard runs (SessionHook).
 * If this process saw the same session pass before, the counters and, for a dashboard, its tiles'
 * cache reads are sent at once, on the context it passed with, so Redis and Postgres answer in the
 * same round trip's time. Nothing is let through or answered before the check passed: a refused
 * session gets its refusal (its one speculative count stays; the session is then forgotten, so its
 * next requests are not counted), and the reads are used only under the keys the confirmed caller's
 * own scope and version give.
 */
@Injectable()
export class AnalyticsRateLimitGuard implements CanActivate {
  private readonly logger = new Logger('AnalyticsRateLimit');
  private readonly storage: ThrottlerStorageRedisService;
  private failing = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly answers: AnalyticsService,
  ) {
    this.storage = new ThrottlerStorageRedisService(redis);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = requestOf(context);
    const expected = request.kineoAuth?.pending ? request.kineoAuth.expected : undefined;
    let counters: Counters | undefined;
    if (expected) {
      counters = this.counters(expected);
      keepPrefetched(request, this.prefetch(context, expected));
    }
    await authSettled(request);
    const tenant = tenantContextOf(context);
    // The counters are the user's and the tenant's: the claims the speculation used are the checked session's own.
    if (counters && (expected!.userId !== tenant.userId || expected!.tenantId !== tenant.tenantId)) counters = undefined;
    const [user, organisation] = await (counters ?? this.counters(tenant));
    if (user?.isBlocked) throw new RateLimitedError('you', this.settings.ANALYTICS_RATE_LIMIT_PER_USER, user.timeToBlockExpire);
    if (organisation?.isBlocked) throw new RateLimitedError('your organisation', this.settings.ANALYTICS_RATE_LIMIT_PER_TENANT, organisation.timeToBlockExpire);
    return true;
  }

  /**
   * Both counters in one Redis round trip (the connection pipelines commands sent together); the
   * caller's own limit is reported first when both are reached.
   */
  private counters(tenant: Pick<TenantContext, 'userId' | 'tenantId'>): Counters {
    return Promise.all([
      this.count(`analytics:user:${tenant.userId}`, 'user', this.settings.ANALYTICS_RATE_LIMIT_PER_USER),
      this.count(`analytics:tenant:${tenant.tenantId}`, 'tenant', this.settings.ANALYTICS_RATE_LIMIT_PER_TENANT),
    ]);
  }

  /** A dashboard's tile reads for the expected context, sent with the counters; nothing for other operations or a viewer. */
  private prefetch(context: ExecutionContext, expected: TenantContext) {
    if (context.getType<'graphql'>() !== 'graphql' || context.getHandler().name !== 'dashboard') return undefined;
    const args = GqlExecutionContext.create(context).getArgs<{ id?: unknown; filters?: unknown; reach?: ManagerReach }>();
    const scope = scopeOfContext(expected, args.reach ?? 'all');
    if (!scope || typeof args.id !== 'string') return undefined;
    const filters = withoutNulls((args.filters ?? []) as object[]) as AnalyticsFilter[];
    return this.answers.prefetchDashboard(expected, scope, args.id, filters);
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
