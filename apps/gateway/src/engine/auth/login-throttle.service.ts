import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { normalizeEmail } from '@kineo/auth';
import { DomainError } from '@kineo/errors';
import type { Redis } from 'ioredis';
import { InjectRedis } from '../redis/redis.module';

/** A sign-in refused before the password is looked at, because of earlier attempts. */
export class TooManyAttemptsError extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    what = 'sign-in attempts',
  ) {
    super('TOO_MANY_ATTEMPTS', `Too many ${what}; try again in ${retryAfterSeconds} seconds.`, { retryAfterSeconds });
  }
}

/**
 * The anonymous operations throttled like sign-in: each guesses at, or sends mail for, something
 * the caller does not have to prove they own. Their counts are kept apart from sign-in's.
 */
export const ANONYMOUS_ACTIONS = {
  /** Counted per e-mail address too: each request mails that address. */
  password_reset_request: { what: 'password reset requests', perSubject: 3, perAddress: 20 },
  password_reset: { what: 'password reset attempts', perSubject: 5, perAddress: 20 },
  invitation: { what: 'invitation attempts', perSubject: 5, perAddress: 20 },
  refresh: { what: 'session refresh attempts', perSubject: 5, perAddress: 60 },
} as const;
export type AnonymousAction = keyof typeof ANONYMOUS_ACTIONS;

export interface ThrottleLimits {
  /** Attempts an account may have outstanding (not yet followed by a success) before it locks. */
  perAccount: number;
  /** Failed attempts from one client address, over every account, before it locks. */
  perAddress: number;
  /** How long a key's count is remembered after its last attempt. */
  windowSeconds: number;
  /** The first lock; each attempt after a lock has run out doubles it, up to maxLockSeconds. */
  baseLockSeconds: number;
  maxLockSeconds: number;
}

export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = {
  perAccount: 5,
  perAddress: 20,
  windowSeconds: 15 * 60,
  baseLockSeconds: 30,
  maxLockSeconds: 15 * 60,
};

/** Redis must answer within this, or sign-in goes ahead unthrottled rather than hang. */
const REDIS_WAIT_MS = 1_000;

/**
 * Refuses an attempt while any of its lock keys is held, else counts it on each counted key and
 * locks a key that is over its limit, atomically, so parallel attempts cannot all slip in before the
 * first is counted. Returns the longest lock (seconds), 0 if the attempt may go ahead.
 * KEYS: n count keys, their n lock keys (same order), then lock keys only checked;
 * ARGV: window, base lock, max lock, n, then one limit per counted key.
 */
const ATTEMPT_SCRIPT = `
local n = tonumber(ARGV[4])
for i = n + 1, #KEYS do
  local ttl = redis.call('TTL', KEYS[i])
  if ttl > 0 then return ttl end
end
local wait = 0
for i = 1, n do
  local count = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[1])
  local limit = tonumber(ARGV[4 + i])
  if count > limit then
    local lock = math.min(tonumber(ARGV[2]) * 2 ^ (count - limit - 1), tonumber(ARGV[3]))
    redis.call('SET', KEYS[n + i], '1', 'EX', lock)
    if lock > wait then wait = lock end
  end
end
return wait
`;

/**
 * Throttles sign-in per account and per client address, in Redis so that every gateway shares the
 * counts. The account key is the normalised e-mail whether or not such an account exists, so an
 * unknown account is throttled exactly like a wrong password and reveals nothing. If Redis is
 * away, sign-in still works: being locked out of the product is worse than a window unthrottled.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = new Logger('LoginThrottle');
  private readonly limits: ThrottleLimits = DEFAULT_THROTTLE_LIMITS;

  constructor(@InjectRedis() private readonly redis: Redis) {}

  /**
   * Counts this attempt against the account, or refuses it with TooManyAttemptsError while the
   * account or the address is locked. The address counts failures only (`failed`): many people
   * signing in at once behind one office address, or through the portal, must not lock each other out.
   */
  async attempt(email: string, address: string | undefined): Promise<void> {
    const keys = this.keys('login', normalizeEmail(email), address);
    await this.run([keys.account], [this.limits.perAccount], keys.address ? [keys.address.lock] : [], keys, 'sign-in attempts');
  }

  /**
   * A wrong password or unknown account counts against the address; the failure that reaches the
   * limit locks it, so the next attempt from there is refused.
   */
  async failed(email: string, address: string | undefined): Promise<void> {
    const keys = this.keys('login', normalizeEmail(email), address);
    if (!keys.address) return;
    const wait = await this.script([keys.address], [this.limits.perAddress - 1], [], 'count a failed sign-in', keys.scope);
    if (wait > 0) this.logger.warn(`sign-in locked for ${wait} s (address ${address})`);
  }

  /** A success clears the account's count (the address keeps its failures). */
  async succeeded(email: string, address: string | undefined): Promise<void> {
    const keys = this.keys('login', normalizeEmail(email), address);
    await this.call('clear attempts', keys.scope, () => this.redis.del(keys.account.count));
  }

  /**
   * Counts an anonymous `action` on `subject` (the e-mail or token it names) from `address`, or
   * refuses it; failed attempts pile up until `anonymousSucceeded`.
   */
  async attemptAnonymous(action: AnonymousAction, subject: string, address: string | undefined): Promise<void> {
    const limits = ANONYMOUS_ACTIONS[action];
    await this.count(this.keys(action, subject, address), limits.perSubject, limits.perAddress, limits.what);
  }

  /**
   * Runs an anonymous action under its throttle. A success clears its count, except a reset
   * request's: every request mails someone, so each one counts.
   */
  async throttled<T>(action: AnonymousAction, subject: string, address: string | undefined, run: () => Promise<T>): Promise<T> {
    await this.attemptAnonymous(action, subject, address);
    const result = await run();
    if (action !== 'password_reset_request') await this.clear(this.keys(action, subject, address));
    return result;
  }

  private async count(keys: ReturnType<LoginThrottle['keys']>, perSubject: number, perAddress: number, what: string): Promise<void> {
    const counted = [keys.account, ...(keys.address ? [keys.address] : [])];
    await this.run(counted, [perSubject, ...(keys.address ? [perAddress] : [])], [], keys, what);
  }

  private async run(
    counted: { count: string; lock: string }[],
    limits: number[],
    checkedLocks: string[],
    keys: ReturnType<LoginThrottle['keys']>,
    what: string,
  ): Promise<void> {
    const wait = await this.script(counted, limits, checkedLocks, `count ${what}`, keys.scope);
    if (wait > 0) {
      this.logger.warn(`${what} throttled for ${wait} s (address ${keys.addressValue ?? 'unknown'})`);
      throw new TooManyAttemptsError(wait, what);
    }
  }

  /** Runs ATTEMPT_SCRIPT; 0 (go ahead) when Redis is away. */
  private async script(counted: { count: string; lock: string }[], limits: number[], checkedLocks: string[], what: string, scope: string): Promise<number> {
    const { windowSeconds, baseLockSeconds, maxLockSeconds } = this.limits;
    const keys = [...counted.map((k) => k.count), ...counted.map((k) => k.lock), ...checkedLocks];
    const wait = await this.call(what, scope, () =>
      this.redis.eval(ATTEMPT_SCRIPT, keys.length, ...keys, windowSeconds, baseLockSeconds, maxLockSeconds, counted.length, ...limits),
    );
    return typeof wait === 'number' ? wait : 0;
  }

  private async clear(keys: ReturnType<LoginThrottle['keys']>): Promise<void> {
    await this.call('clear attempts', keys.scope, async () => {
      const batch = this.redis.multi().del(keys.account.count);
      if (keys.address) batch.decr(keys.address.count);
      await batch.exec();
    });
  }

  private keys(action: 'login' | AnonymousAction, subject: string, address: string | undefined) {
    // Hashed: the key space should not list who tried to sign in, nor hold live tokens.
    const account = createHash('sha256').update(subject).digest('hex');
    const key = (kind: string, id: string) => ({ count: `kineo:${action}:${kind}:${id}:count`, lock: `kineo:${action}:${kind}:${id}:lock` });
    const scope = action === 'login' ? 'sign-in' : ANONYMOUS_ACTIONS[action].what;
    return { account: key('account', account), address: address ? key('address', address) : undefined, addressValue: address, scope };
  }

  private async call<T>(what: string, scope: string, command: () => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_WAIT_MS} ms`)), REDIS_WAIT_MS);
        }),
      ]);
    } catch (error) {
      this.logger.warn(`Could not ${what} in Redis, so ${scope} goes unthrottled: ${(error as Error).message}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
