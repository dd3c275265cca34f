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
  /** Counted per e-mail address too, success or not: each request mails that address. */
  password_reset_request: { what: 'password reset requests', perSubject: 3, perAddress: 20, wrong: 'every request' },
  password_reset: { what: 'password reset attempts', perSubject: 5, perAddress: 20, wrong: ['RESET_TOKEN_INVALID'] },
  /** A wrong or spent token, or a wrong current password for an existing account. */
  invitation: { what: 'invitation attempts', perSubject: 5, perAddress: 20, wrong: ['INVITATION_INVALID', 'UNAUTHENTICATED'] },
  refresh: { what: 'session refresh attempts', perSubject: 5, perAddress: 60, wrong: ['UNAUTHENTICATED'] },
  /**
   * Not anonymous, but a guess all the same: someone at a computer left signed in trying current
   * passwords to take the account. Counted per account (its user id).
   */
  password_change: { what: 'password change attempts', perSubject: 5, perAddress: 20, wrong: ['CURRENT_PASSWORD_WRONG'] },
} as const satisfies Record<string, { what: string; perSubject: number; perAddress: number; wrong: 'every request' | readonly string[] }>;
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
 * lets it go ahead, locking a key whose count has reached its limit against the attempts after it.
 * Atomic, so parallel attempts cannot all slip in before the first is counted; a refused attempt
 * is not counted, so the wait it is told is the wait there is, and the first attempt after a lock
 * has run out goes ahead (locking for twice as long after it).
 * KEYS: n count keys, their n lock keys (same order), then lock keys only checked;
 * ARGV: window, base lock, max lock, n, then one limit per counted key.
 * Returns { seconds to wait (0: go ahead), longest lock this attempt set }.
 */
const ATTEMPT_SCRIPT = `
local n = tonumber(ARGV[4])
for i = n + 1, #KEYS do
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl > 0 then return { math.ceil(ttl / 1000), 0 } end
end
local armed = 0
for i = 1, n do
  local count = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[1])
  local limit = tonumber(ARGV[4 + i])
  if count >= limit then
    local lock = math.min(tonumber(ARGV[2]) * 2 ^ (count - limit), tonumber(ARGV[3]))
    redis.call('SET', KEYS[n + i], '1', 'EX', lock)
    if lock > armed then armed = lock end
  end
end
return { 0, armed }
`;

/**
 * Gives an attempt back: takes it off each count and lifts the key's lock once the count is below
 * its limit again (the lock this attempt set for the ones after it). A limit of 0 forgets the key.
 * KEYS: count and lock key of each counted key, in pairs; ARGV: one limit per pair.
 */
const GIVE_BACK_SCRIPT = `
for i = 1, #ARGV do
  local count, lock, limit = KEYS[2 * i - 1], KEYS[2 * i], tonumber(ARGV[i])
  local left = 0
  if limit > 0 and redis.call('EXISTS', count) == 1 then left = redis.call('DECR', count) end
  if left <= 0 then redis.call('DEL', count) end
  if left < limit or limit == 0 then redis.call('DEL', lock) end
end
return 0
`;

type CountedKey = { count: string; lock: string };

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
    const [, locked] = await this.script([keys.address], [this.limits.perAddress], [], 'count a failed sign-in', keys.scope);
    if (locked > 0) this.logger.warn(`sign-in locked for ${locked} s (address ${address})`);
  }

  /** A success clears the account's count and lock (the address keeps its failures). */
  async succeeded(email: string, address: string | undefined): Promise<void> {
    const keys = this.keys('login', normalizeEmail(email), address);
    await this.giveBack([keys.account], [0], keys.scope);
  }

  /**
   * Runs an anonymous `action` on `subject` (the e-mail or token it names) from `address` under its
   * throttle, or refuses it with TooManyAttemptsError. Only a wrong attempt counts (a wrong or
   * spent token, a wrong password: see ANONYMOUS_ACTIONS): a success clears the subject's count, and
   * any other refusal (no seat free, a weak password, a suspended organisation) is given back, so
   * people behind one address who did nothing wrong do not lock each other out. A reset request
   * counts whatever happens: each one mails someone.
   */
  async throttled<T>(action: AnonymousAction, subject: string, address: string | undefined, run: () => Promise<T>): Promise<T> {
    const { perSubject, perAddress, what, wrong } = ANONYMOUS_ACTIONS[action];
    const keys = this.keys(action, subject, address);
    const counted = [keys.account, ...(keys.address ? [keys.address] : [])];
    await this.run(counted, [perSubject, perAddress].slice(0, counted.length), [], keys, what);
    if (wrong === 'every request') return run();
    let result: T;
    try {
      result = await run();
    } catch (error) {
      const guess = error instanceof DomainError && (wrong as readonly string[]).includes(String(error.code));
      if (!guess) await this.giveBack(counted, [perSubject, perAddress], keys.scope);
      throw error;
    }
    await this.giveBack(counted, [0, perAddress], keys.scope);
    return result;
  }

  private async run(counted: CountedKey[], limits: number[], checkedLocks: string[], keys: ReturnType<LoginThrottle['keys']>, what: string): Promise<void> {
    const [wait] = await this.script(counted, limits, checkedLocks, `count ${what}`, keys.scope);
    if (wait > 0) {
      this.logger.warn(`${what} throttled for ${wait} s (address ${keys.addressValue ?? 'unknown'})`);
      throw new TooManyAttemptsError(wait, what);
    }
  }

  /** Runs ATTEMPT_SCRIPT: [seconds to wait, lock set]; [0, 0] (go ahead) when Redis is away. */
  private async script(counted: CountedKey[], limits: number[], checkedLocks: string[], what: string, scope: string): Promise<[number, number]> {
    const { windowSeconds, baseLockSeconds, maxLockSeconds } = this.limits;
    const keys = [...counted.map((k) => k.count), ...counted.map((k) => k.lock), ...checkedLocks];
    const answer = await this.call(what, scope, () =>
      this.redis.eval(ATTEMPT_SCRIPT, keys.length, ...keys, windowSeconds, baseLockSeconds, maxLockSeconds, counted.length, ...limits),
    );
    return Array.isArray(answer) ? [Number(answer[0]), Number(answer[1])] : [0, 0];
  }

  /** Runs GIVE_BACK_SCRIPT on `counted`, each with its limit (0: forget it). */
  private async giveBack(counted: CountedKey[], limits: number[], scope: string): Promise<void> {
    const keys = counted.flatMap((k) => [k.count, k.lock]);
    await this.call('give an attempt back', scope, () => this.redis.eval(GIVE_BACK_SCRIPT, keys.length, ...keys, ...limits.slice(0, counted.length)));
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
