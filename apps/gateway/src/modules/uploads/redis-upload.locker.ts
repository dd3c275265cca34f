import { randomBytes } from 'node:crypto';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/server';
import type { Redis } from 'ioredis';

/** How long a lock outlives a gateway that died holding it; renewed while its request runs. */
const LOCK_TTL_MS = 30_000;
const RENEW_EVERY_MS = 10_000;
/** How long a request waits for a holder in this same process to let go (it is asked to). */
const LOCAL_HANDOVER_MS = 5_000;
const RETRY_MS = 50;

// Deletes or extends the key only while it still holds our token: a lock that lapsed and was
// taken by another gateway is never released or prolonged by the one that lost it.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** A refusal tus answers as is (it reads `status_code` and `body`): the client gets both. */
export class TusRefusal extends Error {
  constructor(
    readonly status_code: number,
    readonly body: string,
  ) {
    super(body.trim());
  }
}

const uploadLocked = (id: string) =>
  new TusRefusal(423, `Upload ${id} is being written by another request (on this or another gateway); retry once it has ended.\n`);

const locksUnavailable = () => new TusRefusal(503, 'Resumable uploads are paused: the lock store (Redis) is not answering; retry shortly.\n');

/**
 * tus locks shared by every gateway replica: one Redis key per upload (`kineo:upload-lock:<id>`),
 * set only if absent, with a token and an expiry that the holder renews. A request that finds the
 * upload held by another gateway is refused at once with 423 (tus clients retry it); one held in
 * this process is asked to let go, as tus's own MemoryLocker does, since that is how a client
 * resuming after a dropped connection takes over from its own half-open request. A holder that
 * cannot renew (Redis gone, or the key taken after it lapsed) is told to stop writing.
 */
export class RedisUploadLocker implements Locker {
  /** Locks held by requests in this process, by upload id, with how to ask each to stop. */
  readonly held = new Map<string, { token: string; release: RequestRelease }>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'kineo:upload-lock:',
  ) {}

  newLock(id: string): Lock {
    return new RedisUploadLock(id, this, this.redis, this.prefix + id);
  }
}

class RedisUploadLock implements Lock {
  private token = '';
  private renewal: NodeJS.Timeout | undefined;

  constructor(
    private readonly id: string,
    private readonly locker: RedisUploadLocker,
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const token = randomBytes(16).toString('hex');
    const handoverBy = Date.now() + LOCAL_HANDOVER_MS;
    for (;;) {
      if (signal.aborted) throw new TusRefusal(ERRORS.ABORTED.status_code, ERRORS.ABORTED.body);
      let taken: string | null;
      try {
        taken = await this.redis.set(this.key, token, 'PX', LOCK_TTL_MS, 'NX');
      } catch {
        throw locksUnavailable();
      }
      if (taken === 'OK') break;
      const local = this.locker.held.get(this.id);
      if (!local || Date.now() > handoverBy) throw uploadLocked(this.id);
      await local.release();
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
    this.token = token;
    this.locker.held.set(this.id, { token, release: requestRelease });
    this.renewal = setInterval(() => void this.renew(requestRelease), RENEW_EVERY_MS);
    this.renewal.unref();
  }

  async unlock(): Promise<void> {
    clearInterval(this.renewal);
    if (this.locker.held.get(this.id)?.token === this.token) this.locker.held.delete(this.id);
    // A release that fails leaves the key to expire on its own.
    await this.redis.eval(RELEASE, 1, this.key, this.token).catch(() => undefined);
  }

  private async renew(requestRelease: RequestRelease): Promise<void> {
    const kept = await this.redis.eval(RENEW, 1, this.key, this.token, String(LOCK_TTL_MS)).catch(() => 0);
    if (kept === 1) return;
    clearInterval(this.renewal);
    await requestRelease();
  }
}
