import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * One job at a time per tenant, across every queue and worker process: a tenant's warehouse has
 * one writer. A job that finds its tenant busy goes back to the queue for a moment, so the worker
 * slot is free for other tenants' work meanwhile.
 */
export class TenantLock {
  private readonly redis: Redis;

  constructor(redisUrl: string, private readonly ttlMs = 60_000) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 3, lazyConnect: false });
    this.redis.on('error', () => undefined);
  }

  /** Holds the tenant's lock while `fn` runs; returns undefined (without running) when it is taken. */
  async withLock<T>(tenantId: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    const key = `kineo:lock:tenant:${tenantId}`;
    const token = randomUUID();
    const acquired = await this.redis.set(key, token, 'PX', this.ttlMs, 'NX');
    if (acquired !== 'OK') return { ran: false };
    const renew = setInterval(() => void this.redis.eval(EXTEND, 1, key, token, String(this.ttlMs)).catch(() => undefined), this.ttlMs / 3);
    try {
      return { ran: true, value: await fn() };
    } finally {
      clearInterval(renew);
      await this.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
