import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job, type Processor } from 'bullmq';
import { bullConnection, isTransientDatabaseError, jobGoneFromRedis, JobPayloadError, parsePayload, QUEUE_PREFIX, RedisOutageLog, type JobDefinition } from '@kineo/jobs';
import { ATTR, SpanKind, withSpan } from '@kineo/telemetry';
import type { Logger } from 'pino';
import type { JobHandlerRegistry } from './job-handler.registry';
import { TenantLock } from './tenant-lock';
import { WorkerStoppingError } from './worker-stopping.error';

/** How long a job waits before trying again when its tenant is busy with another job. */
const BUSY_RETRY_MS = 1_000;
/** First and longest wait before a job that found the metadata database unreachable runs again. */
const METADATA_RETRY_FIRST_MS = 1_000;
const METADATA_RETRY_MAX_MS = 30_000;
/**
 * Once the grace has passed and no job is in hand, how long BullMQ's own close still gets before its
 * connections are dropped: with Redis answering it takes milliseconds, so only a hung close waits it out.
 */
const CLOSE_AFTER_JOBS_MS = 2_000;
/**
 * A job this worker has no handler for (or whose payload is a newer version than it knows) is
 * offered again after a wait as long as the job's age, between these bounds: a rolling deploy's
 * newer worker takes it within minutes, and an orphan costs a few wake-ups an hour.
 */
const UNKNOWN_JOB_RETRY_FIRST_MS = 5_000;
const UNKNOWN_JOB_RETRY_MAX_MS = 5 * 60_000;
/** Past this age (from the job's creation) a job no worker took is failed: no release in the fleet knows it. */
const UNKNOWN_JOB_MAX_AGE_MS = 24 * 3600_000;

export interface WorkerOptions {
  redisUrl: string;
  /** Called after each tenant job, e.g. to close the tenant's warehouse files for other processes. */
  afterTenantJob?: (tenantId: string) => Promise<void>;
  registry: JobHandlerRegistry;
  definitions: readonly JobDefinition[];
  log: Logger;
  concurrency?: number;
  /** How long a tenant's lock lives without renewal (renewed every third of it while the job runs). */
  tenantLockTtlMs?: number;
  /**
   * How long shutdown waits for jobs in hand to finish; past it, each is stopped at its next step
   * and handed back to its queue for another worker.
   */
  shutdownGraceMs?: number;
  /** Shared with the process's other Redis connections, so an outage is told once; made from `log` otherwise. */
  redisOutage?: RedisOutageLog;
  /**
   * Jobs this worker cannot run (no handler, or a newer payload version): the first and the longest
   * wait before one is offered again, and the age past which it is failed (defaults 5 s, 5 min, 24 h).
   */
  unknownJobs?: { retryFirstMs?: number; retryMaxMs?: number; maxAgeMs?: number };
}

export interface RunningWorker {
  queues: string[];
  /** Finishes the jobs in hand (or, after the grace period, hands them back to their queue) and disconnects. */
  close(): Promise<void>;
}

/** One BullMQ worker per queue that has handlers; refuses to start with an incomplete registry. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  options.registry.assertComplete(options.definitions);
  const workers: Worker[] = [];
  const lock = new TenantLock(options.redisUrl, options.tenantLockTtlMs);
  const metadataRetries = new MetadataRetries(options.log);
  const unknownJobs = new UnknownJobs(options.log, options.unknownJobs);
  // Aborted when the shutdown grace has passed: every job in hand stops at its next step.
  const stopping = new AbortController();
  const outage = options.redisOutage ?? new RedisOutageLog(options.log, options.redisUrl);
  // The jobs this process is running, so a shutdown that gives up on BullMQ's close still lets them hand back first.
  const inHand = new Set<Promise<unknown>>();
  for (const queue of options.registry.queues()) {
    const worker = new Worker(
      queue,
      trackInHand(inHand, metadataRetries.around(queue, async (job, token) => {
        const entry = options.registry.get(job.name);
        if (!entry || isNewerPayload(job, entry.definition)) return unknownJobs.handBack(queue, job, token, entry?.definition);
        let payload;
        try {
          payload = parsePayload(entry.definition, job.data);
        } catch (error) {
          // A payload that fails validation will fail every retry too.
          if (error instanceof JobPayloadError) throw new UnrecoverableError(error.message);
          throw error;
        }
        const tenantId = (payload as { tenantId?: string }).tenantId;
        const log = options.log.child({ job: job.name, jobId: job.id, attempt: job.attemptsMade + 1, tenantId });
        const attributes = {
          [ATTR.job]: job.name,
          [ATTR.jobId]: job.id ?? '',
          [ATTR.jobQueue]: queue,
          [ATTR.jobAttempt]: job.attemptsMade + 1,
          ...(tenantId ? { [ATTR.tenantId]: tenantId } : {}),
        };
        const run = (signal: AbortSignal) =>
          withSpan(
            `job ${job.name}`,
            attributes,
            async () => {
              log.info('job started');
              const started = Date.now();
              try {
                const result = await entry.handler(payload, { job, log, progress: (p) => job.updateProgress(p), signal, stopping: stopping.signal });
                log.info({ durationMs: Date.now() - started }, 'job finished');
                return result;
              } catch (error) {
                if (error instanceof WorkerStoppingError) log.info({ durationMs: Date.now() - started }, 'job stopped: the worker is stopping');
                else log.error({ err: error, durationMs: Date.now() - started }, 'job failed');
                throw error;
              }
            },
            { kind: SpanKind.CONSUMER },
          );
        let outcome;
        try {
          if (!tenantId) return await run(new AbortController().signal);
          outcome = await lock.withLock(tenantId, async (signal) => {
            try {
              return await run(signal);
            } finally {
              await options.afterTenantJob?.(tenantId).catch((err) => log.warn({ err }, 'could not release tenant resources'));
            }
          });
        } catch (error) {
          if (!(error instanceof WorkerStoppingError)) throw error;
          // Straight back to waiting (the tenant lock is already released): another worker takes it
          // now, not after BullMQ's stalled-job check, and the hand-back costs no attempt.
          await job.moveToWait(token);
          log.warn('job handed back to its queue: the worker is stopping');
          throw new WaitingError();
        }
        if (outcome.ran) return outcome.value;
        log.debug('tenant busy with another job; trying again shortly');
        return handBackAfter(job, token, BUSY_RETRY_MS + Math.floor(Math.random() * 250));
      })),
      {
        connection: bullConnection(options.redisUrl),
        prefix: QUEUE_PREFIX,
        concurrency: options.concurrency ?? 2,
        autorun: true,
      },
    );
    worker.on('error', (error) =>
      outage.error(error, (err) => {
        const gone = jobGoneFromRedis(err);
        // Not a connection failure: the job ran, but Redis lost its data meanwhile, so its outcome
        // cannot be recorded (the handlers are safe to run again; a load's state is in Postgres).
        if (gone) options.log.warn({ queue, jobId: gone.jobId, step: gone.step }, `job ${gone.jobId} was gone from Redis when its outcome was recorded: Redis lost its data while it ran, so the outcome is not kept`);
        else options.log.error({ err, queue }, 'queue connection error');
      }),
    );
    await worker.waitUntilReady();
    outage.watch(worker.getBackend());
    workers.push(worker);
  }
  options.log.info({ queues: [...options.registry.queues()] }, 'worker ready');

  let closing: Promise<void> | undefined;
  return {
    queues: [...options.registry.queues()],
    close() {
      closing ??= (async () => {
        const grace = options.shutdownGraceMs ?? 20_000;
        // Closing stops taking new jobs and waits for those in hand, including any handed back.
        const closing = workers.map((worker) => ({ worker, closed: false }));
        const closed = Promise.all(closing.map((each) => each.worker.close().then(() => void (each.closed = true))));
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<'grace over'>((resolve) => (timer = setTimeout(() => resolve('grace over'), grace)));
        try {
          if ((await Promise.race([closed, graceOver])) !== 'grace over') return;
          if (inHand.size > 0) {
            options.log.warn({ graceMs: grace }, 'jobs still running after the shutdown grace; stopping them at their next step to hand them back');
            stopping.abort(new WorkerStoppingError(grace));
          }
          let giveUp: NodeJS.Timeout | undefined;
          const jobsHandedBack = Promise.allSettled([...inHand]).then(
            () => new Promise<'gave up'>((resolve) => (giveUp = setTimeout(() => resolve('gave up'), CLOSE_AFTER_JOBS_MS))),
          );
          try {
            if ((await Promise.race([closed, jobsHandedBack])) !== 'gave up') return;
          } finally {
            clearTimeout(giveUp);
          }
          // BullMQ's close() can wait forever: it disconnects its blocking connection and waits for
          // ioredis's 'end', which never comes when that client sits in reconnect backoff after an
          // outage (no socket left to close, see redis/ioredis#1247). No job is in hand any more, so
          // dropping the connections loses nothing.
          const hung = closing.filter((each) => !each.closed).map((each) => each.worker);
          options.log.warn({ queues: hung.map((w) => w.name) }, 'queue connections not closed after the shutdown grace; dropping them');
          await Promise.all(hung.map(dropConnections));
        } finally {
          clearTimeout(timer);
          await lock.close();
        }
      })();
      return closing;
    },
  };
}

/** Keeps `inHand` to the processor calls still running. */
function trackInHand(inHand: Set<Promise<unknown>>, processor: Processor): Processor {
  return (job, token, signal) => {
    const running = processor(job, token, signal);
    inHand.add(running);
    const forget = () => void inHand.delete(running);
    running.then(forget, forget);
    return running;
  };
}

/** Disconnects a BullMQ worker's Redis clients without waiting for them, whatever state they are in. */
async function dropConnections(worker: Worker): Promise<void> {
  const backend = worker.getBackend();
  const clients = await Promise.all([backend.client, backend.blockingClient]);
  for (const client of clients) client?.disconnect();
}

/** Puts the job back in its queue to be offered again in `waitMs`, spending no attempt (BullMQ's DelayedError). */
async function handBackAfter(job: Job, token: string | undefined, waitMs: number): Promise<never> {
  await job.moveToDelayed(Date.now() + waitMs, token);
  throw new DelayedError();
}

function isNewerPayload(job: Job, definition: JobDefinition): boolean {
  const v = (job.data as { v?: unknown } | null)?.v;
  return typeof v === 'number' && v > definition.version;
}

/**
 * During a rolling deploy an older worker can take a job only a newer release knows (a new job
 * kind, a new payload version). Failing it would lose it for good (a fixed job id then blocks
 * queueing it again), so it goes back to its queue delayed, spending no attempt, until a worker
 * that knows it takes it; only a job no worker took for a day is failed. Told once per job name
 * (and version) per process, not at every offer.
 */
class UnknownJobs {
  private readonly told = new Set<string>();
  private readonly retryFirstMs: number;
  private readonly retryMaxMs: number;
  private readonly maxAgeMs: number;

  constructor(
    private readonly log: Logger,
    options: NonNullable<WorkerOptions['unknownJobs']> = {},
  ) {
    this.retryFirstMs = options.retryFirstMs ?? UNKNOWN_JOB_RETRY_FIRST_MS;
    this.retryMaxMs = options.retryMaxMs ?? UNKNOWN_JOB_RETRY_MAX_MS;
    this.maxAgeMs = options.maxAgeMs ?? UNKNOWN_JOB_MAX_AGE_MS;
  }

  async handBack(queue: string, job: Job, token: string | undefined, known: JobDefinition | undefined): Promise<never> {
    const v = (job.data as { v?: unknown } | null)?.v;
    const what = known ? `version ${String(v)} of job "${job.name}" (this worker knows version ${known.version})` : `job "${job.name}"`;
    const ageMs = Date.now() - job.timestamp;
    if (ageMs >= this.maxAgeMs) {
      throw new UnrecoverableError(
        `no worker took ${what} on queue "${queue}" within ${formatAge(this.maxAgeMs)} of its creation (this one has no handler for it); was it queued by a release no longer running?`,
      );
    }
    const key = `${queue}:${job.name}:${known ? String(v) : ''}`;
    if (!this.told.has(key)) {
      this.told.add(key);
      this.log.warn(
        { job: job.name, jobId: job.id, queue, version: v, failsAfterMs: this.maxAgeMs },
        `no handler for ${what}: handed back to its queue for a worker that knows it (a rolling deploy?); offered again with a backoff, failed ${formatAge(this.maxAgeMs)} after its creation`,
      );
    }
    const waitMs = Math.min(this.retryMaxMs, Math.max(this.retryFirstMs, ageMs));
    return handBackAfter(job, token, waitMs + Math.floor(Math.random() * 250));
  }
}

function formatAge(ms: number): string {
  if (ms % 3600_000 === 0) return `${ms / 3600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/**
 * A job that fails because Postgres is unreachable (a restart, a failover) has not failed: its
 * handlers are safe to run again, and spending its few attempts in the seconds an outage lasts
 * would end the load with a run no one could even mark failed. Such a job goes back to the queue
 * (delayed, which spends no attempt) with exponential backoff, as long as the outage lasts; each
 * wait is logged. Counts are per job and kept in this process only: a restarted worker starts again
 * from the first wait.
 */
class MetadataRetries {
  private readonly retries = new Map<string, number>();

  constructor(private readonly log: Logger) {}

  around(queue: string, processor: (job: Job, token?: string) => Promise<unknown>): Processor {
    return async (job, token) => {
      const key = `${queue}:${job.id ?? ''}`;
      try {
        const result = await processor(job, token);
        this.retries.delete(key);
        return result;
      } catch (error) {
        if (error instanceof DelayedError || !isTransientDatabaseError(error)) {
          this.retries.delete(key);
          throw error;
        }
        const retry = (this.retries.get(key) ?? 0) + 1;
        this.retries.set(key, retry);
        const retryInMs = Math.min(METADATA_RETRY_MAX_MS, METADATA_RETRY_FIRST_MS * 2 ** (retry - 1));
        this.log.warn(
          { job: job.name, jobId: job.id, queue, retry, retryInMs, err: error },
          'metadata database unreachable; job back in the queue, tried again after a backoff',
        );
        return handBackAfter(job, token, retryInMs);
      }
    };
  }
}
