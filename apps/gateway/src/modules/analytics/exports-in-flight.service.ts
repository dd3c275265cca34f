import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import type { Settings } from '@kineo/config';
import { DomainError } from '@kineo/errors';
import type { Redis } from 'ioredis';
import { SETTINGS } from '../../engine/config/settings.module';
import type { HttpStatusCarrier } from '../../engine/errors/http-error.filter';
import { REDIS } from '../../engine/redis/redis.module';

/** How long an export's place lasts unless renewed: a gateway that died mid-export frees its places within this. */
export const EXPORT_PLACE_TTL_MS = 60_000;
/** Renewed this often while the export streams. */
const RENEW_EVERY_MS = 20_000;
/** What a refused caller is told to wait: an export of a few thousand rows takes about a second, a large one minutes. */
const RETRY_AFTER_SECONDS = 10;

// KEYS: the user's and the tenant's sorted sets (member: the export's id, score: when its place lapses, Redis time in ms).
// ARGV: the export's id, the user's cap, the tenant's cap, the place's lifetime in ms.
// Returns 0 when the place is taken, 1 when the user has their cap running, 2 when the tenant has.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 2 end
local lapses = now + tonumber(ARGV[4])
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], lapses, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], ARGV[4])
end
return 0
`;

// Pushes the place's lapse on (only while it is still held) and keeps the sets as long.
const RENEW = `
local t = redis.call('TIME')
local lapses = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], 'XX', lapses, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
return 0
`;

export class TooManyExportsError extends DomainError implements HttpStatusCarrier {
  readonly httpStatus = 429;

  constructor(who: 'you' | 'your organisation', limit: number) {
    const running = who === 'you' ? `You have ${limit} exports running` : `Your organisation has ${limit} exports running`;
    super('TOO_MANY_EXPORTS', `${running}; wait for one to finish.`, { limit, retryAfterSeconds: RETRY_AFTER_SECONDS });
  }
}

/** A place among the exports in flight, held until `release` (which may be called more than once). */
export interface ExportPlace {
  release(): void;
}

const NO_PLACE: ExportPlace = { release: () => undefined };

/**
 * Caps on exports in flight: per user (`EXPORTS_IN_FLIGHT_PER_USER`) and per tenant
 * (`EXPORTS_IN_FLIGHT_PER_TENANT`), counted in Redis so every gateway shares them. Writing a file
 * takes the gateway's own time, so without a cap one person's many exports slow every tenant.
 * Each export is a member of two sorted sets with the time its place lapses; the place is renewed
 * while the file streams, so a gateway that dies mid-export frees its places within a minute.
 * Redis down: exports go ahead uncounted, as the rate limits do, with one warning per outage.
 */
@Injectable()
export class ExportsInFlightService {
  private readonly logger = new Logger('ExportsInFlight');
  private failing = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /** A place for one export of this user, or TOO_MANY_EXPORTS (429) when they or their tenant have the most running. */
  async take(tenant: Pick<TenantContext, 'userId' | 'tenantId'>): Promise<ExportPlace> {
    const keys = [`exports:running:user:${tenant.userId}`, `exports:running:tenant:${tenant.tenantId}`];
    const id = randomUUID();
    const { EXPORTS_IN_FLIGHT_PER_USER: perUser, EXPORTS_IN_FLIGHT_PER_TENANT: perTenant } = this.settings;
    let taken: unknown;
    try {
      if (this.redis.status !== 'ready') throw new Error(`connection is ${this.redis.status}`);
      taken = await this.redis.eval(TAKE, 2, ...keys, id, perUser, perTenant, EXPORT_PLACE_TTL_MS);
      this.failing = false;
    } catch (error) {
      this.unavailable(error);
      return NO_PLACE;
    }
    if (taken === 1) throw new TooManyExportsError('you', perUser);
    if (taken === 2) throw new TooManyExportsError('your organisation', perTenant);
    const renew = setInterval(() => {
      this.redis.eval(RENEW, 2, ...keys, id, EXPORT_PLACE_TTL_MS).catch((error: unknown) => this.unavailable(error));
    }, RENEW_EVERY_MS);
    renew.unref();
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        clearInterval(renew);
        // A place not given back (Redis gone meanwhile) lapses by itself.
        void Promise.all(keys.map((key) => this.redis.zrem(key, id))).catch((error: unknown) => this.unavailable(error));
      },
    };
  }

  private unavailable(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn(`Exports in flight not counted while Redis is unavailable: ${error instanceof Error ? error.message : String(error)}`);
  }
}
