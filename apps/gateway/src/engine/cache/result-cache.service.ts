import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
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

/**
 * A waiting process asks Redis again after this long, doubling up to the maximum: a dashboard tile
 * answers in tens of milliseconds to seconds, so the first polls are close together.
 */
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 200;
/**
 * The single-flight lock is a lease: taken for this long and renewed while the holder works, so a
 * holder that dies (killed, out of memory, its machine gone) frees it within seconds and a waiting
 * process runs the query, instead of everyone waiting out the query's whole time limit. A holder
 * whose renewals stall past the lease (its event loop blocked that long) only lets a second
 * process run the same query: a duplicate, never a wrong answer.
 */
export const LOCK_LEASE_MS = 5_000;
const LOCK_RENEW_EVERY_MS = Math.floor(LOCK_LEASE_MS / 3);

/** Deletes the lock only if it is still ours: an expired lock may have been taken by another process. */
const RELEASE_LOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
/** Extends the lease only if it is still ours; 0 when it expired and another process may hold it. */
const RENEW_LOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

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

/** A read of one result key, started before it was known to be needed (see `prefetch`). */
export interface StoredText {
  /** The entry's bytes as stored, or null when there is none (or Redis could not be read). */
  text: Buffer | null;
  /** False when Redis failed or was away: answered uncached, no lock taken. */
  available: boolean;
}

/** Prefetched reads by result key (`resultCacheKey`). */
export type Prefetched = Map<string, Promise<StoredText>>;

/**
 * How a value is stored in Redis as text, and read back from its bytes (read as bytes so a large
 * entry can go to the reply without being decoded to a string and encoded again).
 */
export interface CacheCodec<T> {
  encode(value: T): string;
  decode(stored: Buffer): T;
}

const JSON_CODEC: CacheCodec<unknown> = { encode: (value) => JSON.stringify(value), decode: (stored) => JSON.parse(stored.toString('utf8')) as unknown };

export function resultCacheKey(parts: CacheKeyParts): string {
  return `q:${parts.tenantId}:v${parts.dataVersion}:${parts.scopeHash}:${parts.queryHash}`;
}

/** The single-flight lock of a result key, held by the one gateway process running the query. */
export function resultLockKey(parts: CacheKeyParts): string {
  return lockKeyOf(resultCacheKey(parts));
}

const lockKeyOf = (resultKey: string) => `lock:${resultKey}`;

/**
 * The analytics result cache in Redis, with single flight: identical queries arriving while one
 * runs wait for it instead of running again, in this process (a shared promise) and across gateway
 * processes (a Redis lock taken with `SET NX PX` as a short lease the holder renews while it works;
 * the others poll for the answer the holder stores, and take their turn if the holder fails or
 * dies, which its lease expiring within LOCK_LEASE_MS tells them). Redis is an optimisation only: when it is down or
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

  /**
   * The answer for `parts`: stored, shared with the identical query running, or computed and stored.
   * `prefetched` may hold this key's read, sent earlier (while the session was being checked).
   */
  async getOrCompute<T>(parts: CacheKeyParts, compute: () => Promise<T>, codec: CacheCodec<T> = JSON_CODEC as CacheCodec<T>, prefetched?: Prefetched): Promise<Cached<T>> {
    const key = resultCacheKey(parts);
    const running = this.inFlight.get(key) as Promise<Cached<T>> | undefined;
    if (running) {
      const shared = await running;
      this.metrics?.countCache('shared');
      return { value: shared.value, cached: shared.cached };
    }
    const flight = this.lookUpOrRun(key, compute, codec, prefetched?.get(key));
    this.inFlight.set(key, flight);
    try {
      return await flight;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /**
   * Sends the reads of these keys now (commands issued together leave in one write), before the
   * caller knows it may use them; `getOrCompute` takes a read whose key it needs and ignores the rest.
   */
  prefetch(keys: CacheKeyParts[]): Prefetched {
    const reads: Prefetched = new Map();
    if (!this.enabled || this.redis.status !== 'ready') return reads;
    for (const parts of keys) {
      const key = resultCacheKey(parts);
      reads.set(key, this.readText(key));
    }
    return reads;
  }

  /** Stores a result computed elsewhere (pre-warming), unless the cache is off or Redis is away. */
  async put(parts: CacheKeyParts, value: unknown): Promise<void> {
    if (!this.enabled) return;
    await this.write(resultCacheKey(parts), JSON.stringify(value));
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

  private async lookUpOrRun<T>(key: string, compute: () => Promise<T>, codec: CacheCodec<T>, prefetched?: Promise<StoredText>): Promise<Cached<T>> {
    if (!this.enabled) return { value: await compute(), cached: false };
    const stored = this.decoded(await (prefetched ?? this.readText(key)), codec);
    if (stored.found) {
      this.metrics?.countCache('hit');
      return { value: stored.value as T, cached: true };
    }
    // A Redis that failed the read is not asked for a lock or a write: answered uncached, counted once.
    if (!stored.available) return { value: await compute(), cached: false };
    const lockKey = lockKeyOf(key);
    // The holder before us may have stored the answer between our read and our lock: read again
    // after taking it, in the same round trip (Redis runs a connection's commands in order).
    let [lock, after] = await Promise.all([this.lock(lockKey), this.readText(key)]);
    for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(MAX_POLL_MS, pollMs * 2)) {
      if (lock === null) return { value: await compute(), cached: false };
      const seen = this.decoded(after, codec);
      if (seen.found) {
        if (lock.held) void this.release(lockKey, lock.token);
        this.metrics?.countCache(lock.held ? 'hit' : 'shared');
        return { value: seen.value as T, cached: true };
      }
      if (lock.held) return this.runHolding(key, lockKey, lock.token, compute, codec);
      // Another process runs this query: wait for the answer it stores while its lock stands.
      await sleep(pollMs);
      const peeked = await this.peek(key, lockKey, codec);
      if (peeked === null) return { value: await compute(), cached: false };
      if (peeked.found) {
        this.metrics?.countCache('shared');
        return { value: peeked.value as T, cached: true };
      }
      // The lock went without an answer (the holder failed or expired): our turn to run it.
      if (!peeked.locked) [lock, after] = await Promise.all([this.lock(lockKey), this.readText(key)]);
    }
  }

  private async runHolding<T>(key: string, lockKey: string, token: string, compute: () => Promise<T>, codec: CacheCodec<T>): Promise<Cached<T>> {
    const renewal = setInterval(() => void this.renew(lockKey, token, renewal), LOCK_RENEW_EVERY_MS);
    try {
      const value = await compute();
      // The answer and then the release leave in one write (Redis runs them in that order), so a
      // process polling never sees the lock gone before the answer is there.
      const [written] = await Promise.all([this.write(key, codec.encode(value)), this.release(lockKey, token)]);
      if (written) this.metrics?.countCache('miss');
      return { value, cached: false };
    } catch (error) {
      await this.release(lockKey, token);
      throw error;
    } finally {
      clearInterval(renewal);
    }
  }

  /** Deletes the lock if still ours; never rejects (a lock left behind expires with its lease). */
  private release(lockKey: string, token: string): Promise<void> {
    return this.redis.eval(RELEASE_LOCK, 1, lockKey, token).then(
      () => undefined,
      (error: unknown) => this.failed('unlock', error),
    );
  }

  private async renew(lockKey: string, token: string, renewal: NodeJS.Timeout): Promise<void> {
    try {
      // Lost (it expired and another process may run the query now): stop renewing, finish anyway.
      if ((await this.redis.eval(RENEW_LOCK, 1, lockKey, token, String(LOCK_LEASE_MS))) === 0) clearInterval(renewal);
    } catch (error) {
      this.failed('renew lock', error);
    }
  }

  /** Takes the query's lock: held, held by another process, or null when Redis cannot be asked. */
  private async lock(lockKey: string): Promise<{ held: boolean; token: string } | null> {
    if (this.redis.status !== 'ready') {
      this.failed('lock', new Error(`connection is ${this.redis.status}`));
      return null;
    }
    const token = randomUUID();
    try {
      const taken = await this.redis.set(lockKey, token, 'PX', LOCK_LEASE_MS, 'NX');
      return { held: taken === 'OK', token };
    } catch (error) {
      this.failed('lock', error);
      return null;
    }
  }

  /** The stored answer and whether the lock still stands, in one round trip; null when Redis fails. */
  private async peek<T>(key: string, lockKey: string, codec: CacheCodec<T>): Promise<{ found: boolean; locked: boolean; value?: T } | null> {
    if (this.redis.status !== 'ready') {
      this.failed('read', new Error(`connection is ${this.redis.status}`));
      return null;
    }
    try {
      const [text, holder] = await this.redis.mgetBuffer(key, lockKey);
      return text == null ? { found: false, locked: holder != null } : { found: true, locked: holder != null, value: codec.decode(text) };
    } catch (error) {
      this.failed('read', error);
      return null;
    }
  }

  private async readText(key: string): Promise<StoredText> {
    // While ioredis reconnects, a command would wait in its offline queue: answer uncached now instead.
    if (this.redis.status !== 'ready') {
      this.failed('read', new Error(`connection is ${this.redis.status}`));
      return { text: null, available: false };
    }
    try {
      const text = await this.redis.getBuffer(key);
      this.recovered();
      return { text, available: true };
    } catch (error) {
      this.failed('read', error);
      return { text: null, available: false };
    }
  }

  private decoded<T>(stored: StoredText, codec: CacheCodec<T>): { found: boolean; available: boolean; value?: T } {
    return stored.text === null ? { found: false, available: stored.available } : { found: true, available: true, value: codec.decode(stored.text) };
  }

  private async write(key: string, text: string): Promise<boolean> {
    if (this.redis.status !== 'ready') {
      this.failed('write', new Error(`connection is ${this.redis.status}`));
      return false;
    }
    try {
      await this.redis.set(key, text, 'EX', ENTRY_TTL_SECONDS);
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
