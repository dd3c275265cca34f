import { randomUUID } from 'node:crypto';
import { DomainError } from '@kineo/errors';
import Redis from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** The job no longer holds its tenant's lock, so another writer may have started: it must stop and be retried. */
export class TenantLockLostError extends DomainError<'TENANT_LOCK_LOST'> {
  constructor(message: string) {
    super('TENANT_LOCK_LOST', message);
  }
}

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

  /**
   * Holds the tenant's lock while `fn` runs; returns `{ ran: false }` (without running) when it is
   * taken. `fn` gets a signal that aborts as soon as a renewal finds the lock held by
   * someone else (it expired meanwhile), or fails once the lock may have expired unrenewed (Redis
   * unreachable for longer than two renewals): the job is then no longer surely the tenant's one writer, so
   * whatever `fn` did, the call ends with a TenantLockLostError and the job is retried.
   */
  async withLock<T>(
    tenantId: string,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }> {
    const key = `kineo:lock:tenant:${tenantId}`;
    const token = randomUUID();
    const acquired = await this.redis.set(key, token, 'PX', this.ttlMs, 'NX');
    if (acquired !== 'OK') return { ran: false };
    const held = new AbortController();
    const lose = (why: string) => {
      if (!held.signal.aborted) held.abort(new TenantLockLostError(`lost the lock on tenant ${tenantId}: ${why}`));
    };
    // Counted from before each request was sent: the lock lives at least this long in Redis.
    let heldUntil = Date.now() + this.ttlMs;
    const renew = setInterval(() => {
      const sent = Date.now();
      this.redis.eval(EXTEND, 1, key, token, String(this.ttlMs)).then(
        (extended) => {
          if (extended === 1) heldUntil = sent + this.ttlMs;
          else lose('it expired and is held by another job or by no one');
        },
        (error: Error) => {
          // A Redis that is briefly away (a restart) gives no one the lock: the job goes on while
          // the lock surely lives, and stops once it may have expired unrenewed.
          if (Date.now() >= heldUntil) lose(`could not renew it (${error.message})`);
        },
      );
    }, this.ttlMs / 3);
    try {
      let value: T;
      try {
        value = await fn(held.signal);
      } catch (error) {
        // The handler's own failure is secondary when the lock was lost first: the retry is the point.
        held.signal.throwIfAborted();
        throw error;
      }
      held.signal.throwIfAborted();
      return { ran: true, value };
    } finally {
      clearInterval(renew);
      await this.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
