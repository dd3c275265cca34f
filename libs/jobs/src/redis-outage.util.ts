/** What a connection reports while Redis is stopped, restarting or out of reach. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function isRedisUnreachableError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
  return typeof e?.message === 'string' && /^Connection is closed\.?$/.test(e.message);
}

/**
 * The job a BullMQ error says was no longer in Redis when the worker came to record its outcome
 * ("Missing key for job <id>. moveToFinished"): Redis lost its data while the job ran (restarted
 * without persistence, failed over to an empty replica, flushed). Undefined for any other error.
 */
export function jobGoneFromRedis(error: unknown): { jobId: string; step: string } | undefined {
  const message = (error as { message?: unknown } | undefined)?.message;
  const found = typeof message === 'string' ? /^Missing key for job (\S+)\. (\w+)$/.exec(message) : null;
  return found ? { jobId: found[1], step: found[2] } : undefined;
}

/** Where the outage is told: a pino logger, or nestjs-pino's (fields first, then the message). */
export interface OutageLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/** Something that says when its Redis connection is ready: an ioredis client. */
export interface ReadyEmitter {
  on(event: 'ready', listener: () => void): unknown;
}

/**
 * A process's account of Redis being away (the worker's, the gateway's queues). Each connection
 * (one per queue, the events publisher, the queues it enqueues on) retries on its own, every few
 * hundred milliseconds, and reports every failed attempt: one warning when Redis becomes
 * unreachable and one line when a connection is ready again say the same, once per outage.
 */
export class RedisOutageLog {
  private readonly address: string;
  private downSince: number | undefined;
  private readonly whenBack: (() => void)[] = [];

  constructor(
    private readonly log: OutageLogger,
    redisUrl: string,
  ) {
    const url = new URL(redisUrl);
    this.address = `${url.hostname}:${url.port || 6379}`;
  }

  /**
   * For a connection's 'error' event: a failure to reach Redis counts toward the outage; any
   * other error is `otherwise`'s to report.
   */
  error(error: unknown, otherwise: (error: unknown) => void): void {
    if (!isRedisUnreachableError(error)) {
      otherwise(error);
      return;
    }
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    const code = (error as { code?: string }).code ?? (error as Error).message;
    this.log.warn({ redis: this.address, code }, `Redis unreachable at ${this.address}, retrying`);
  }

  ready(): void {
    if (this.downSince === undefined) return;
    this.log.info({ redis: this.address, downMs: Date.now() - this.downSince }, `Redis reachable again at ${this.address}`);
    this.downSince = undefined;
    for (const listener of this.whenBack) listener();
  }

  /**
   * Runs `listener` each time Redis is reachable again after an outage. A Redis that comes back
   * may have come back empty, so whatever the process keeps in it (the worker's schedules) is
   * declared again here.
   */
  onReachableAgain(listener: () => void): void {
    this.whenBack.push(listener);
  }

  /** Counts `client` becoming ready as Redis being back. */
  watch(client: ReadyEmitter): void {
    client.on('ready', () => this.ready());
  }
}
