import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import type { Redis } from 'ioredis';
import { SETTINGS } from '../config/settings.module';
import { MetricsService } from '../metrics/metrics.service';
import { REDIS } from '../redis/redis.module';

/**
 * Results are keyed by the data version they were computed on, so a publish makes every older
 * entry unreachable at once; the expiry only gives Redis its memory back.
 */
const ENTRY_TTL_SECONDS = 24 * 3600;

export interface CacheKeyParts {
  tenantId: string;
  dataVersion: number;
  scopeHash: string;
  queryHash: string;
}

export interface Cached<T> {
  value: T;
  /** True when the answer came from Redis rather than from running the query. */
  cached: boolean;
}

export function resultCacheKey(parts: CacheKeyParts): string {
  return `q:${parts.tenantId}:v${parts.dataVersion}:${parts.scopeHash}:${parts.queryHash}`;
}

/**
 * The analytics result cache in Redis, with single flight: identical queries arriving while one
 * runs wait for it instead of running again. Redis is an optimisation only: when it is down or
 * fails, the query runs uncached, the failure is logged once per outage and counted in /metrics,
 * and the caller never sees an error from it.
 */
@Injectable()
export class ResultCache {
  private readonly logger = new Logger('ResultCache');
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private redisFailing = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  get enabled(): boolean {
    return this.settings.ANALYTICS_CACHE_ENABLED;
  }

  async getOrCompute<T>(parts: CacheKeyParts, compute: () => Promise<T>): Promise<Cached<T>> {
    const key = resultCacheKey(parts);
    const running = this.inFlight.get(key) as Promise<Cached<T>> | undefined;
    if (running) {
      const shared = await running;
      this.metrics?.countCache('shared');
      return { value: shared.value, cached: shared.cached };
    }
    const flight = this.lookUpOrRun(key, compute);
    this.inFlight.set(key, flight);
    try {
      return await flight;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Stores a result computed elsewhere (pre-warming), unless the cache is off or Redis is away. */
  async put(parts: CacheKeyParts, value: unknown): Promise<void> {
    if (!this.enabled) return;
    await this.write(resultCacheKey(parts), value);
  }

  /** Whether a result for these parts is stored (pre-warming skips those). */
  async has(parts: CacheKeyParts): Promise<boolean> {
    if (!this.enabled || this.redis.status !== 'ready') return false;
    try {
      return (await this.redis.exists(resultCacheKey(parts))) === 1;
    } catch (error) {
      this.failed('look up', error);
      return false;
    }
  }

  private async lookUpOrRun<T>(key: string, compute: () => Promise<T>): Promise<Cached<T>> {
    if (!this.enabled) return { value: await compute(), cached: false };
    const stored = await this.read(key);
    if (stored.found) {
      this.metrics?.countCache('hit');
      return { value: stored.value as T, cached: true };
    }
    const value = await compute();
    // One count per query: a Redis that failed the read is not asked to write.
    if (stored.available && (await this.write(key, value))) this.metrics?.countCache('miss');
    return { value, cached: false };
  }

  private async read(key: string): Promise<{ found: boolean; available: boolean; value?: unknown }> {
    // While ioredis reconnects, a command would wait in its offline queue: answer uncached now instead.
    if (this.redis.status !== 'ready') {
      this.failed('read', new Error(`connection is ${this.redis.status}`));
      return { found: false, available: false };
    }
    try {
      const text = await this.redis.get(key);
      this.recovered();
      return text === null ? { found: false, available: true } : { found: true, available: true, value: JSON.parse(text) as unknown };
    } catch (error) {
      this.failed('read', error);
      return { found: false, available: false };
    }
  }

  private async write(key: string, value: unknown): Promise<boolean> {
    if (this.redis.status !== 'ready') {
      this.failed('write', new Error(`connection is ${this.redis.status}`));
      return false;
    }
    try {
      await this.redis.set(key, JSON.stringify(value), 'EX', ENTRY_TTL_SECONDS);
      this.recovered();
      return true;
    } catch (error) {
      this.failed('write', error);
      return false;
    }
  }

  private failed(what: string, error: unknown): void {
    this.metrics?.countCache('unavailable');
    if (this.redisFailing) return;
    this.redisFailing = true;
    this.logger.warn(`Result cache unavailable (${what}: ${error instanceof Error ? error.message : String(error)}); answering uncached until Redis is back`);
  }

  private recovered(): void {
    if (!this.redisFailing) return;
    this.redisFailing = false;
    this.logger.log('Result cache available again');
  }
}
