import { connectionFailureCode, type PrismaClient } from '@kineo/db';
import { offboardingCalledOff } from './tenant-operations';

/**
 * Waiting on work the worker does. The truth is the run's row in Postgres, read again and again:
 * queue events are lost whenever the waiter's Redis connection drops (a restart, a failover), so
 * they may only hurry a wait along, never end it. A Postgres that goes away while we wait (the
 * stack restarting) is waited out too: the run is still there when it comes back.
 */
export interface PollOptions {
  /** Pause between reads; the default suits a person watching a terminal. */
  intervalMs?: number;
  /** Told once per outage of the metadata database, and once when it answers again. */
  onUnavailable?: (reason: string) => void;
  onRecovered?: () => void;
  /** Ends the wait early (the caller's own limit, Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * The connection was cut by a restart, not refused for a reason of ours: Postgres's shutdown codes
 * and Prisma's "server has closed the connection" (P1017) and "cannot reach" (P1001, P1002).
 */
const SHUTDOWN_CODES = new Set(['57P01', '57P02', '57P03', 'P1001', 'P1002', 'P1017']);

/** Whether a read failed because the metadata database is unreachable or restarting (worth another try). */
export function isTransientDatabaseError(error: unknown): boolean {
  if (connectionFailureCode(error) !== undefined) return true;
  let current: unknown = error;
  for (let depth = 0; current && depth < 8; depth++) {
    const e = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && SHUTDOWN_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && /terminating connection|the database system is (starting up|shutting down)|Connection (ended|closed)|Server has closed the connection/i.test(e.message)) return true;
    current = e.cause;
  }
  return false;
}

/**
 * Calls `read` until it returns a value (not undefined), riding out database outages. Any other
 * error ends the wait: it is a fault of the wait itself (the run does not exist), not of the moment.
 */
export async function pollUntil<T>(read: () => Promise<T | undefined>, options: PollOptions = {}): Promise<T> {
  const intervalMs = options.intervalMs ?? 300;
  let down = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await read();
      if (down) {
        down = false;
        options.onRecovered?.();
      }
      if (value !== undefined) return value;
    } catch (error) {
      if (!isTransientDatabaseError(error)) throw error;
      if (!down) {
        down = true;
        options.onUnavailable?.(outageReason(error));
      }
    }
    await pause(intervalMs, options);
  }
}

function outageReason(error: unknown): string {
  const line = String((error as Error)?.message ?? error).split('\n').map((l) => l.trim()).find((l) => l.length > 0);
  return line ?? connectionFailureCode(error) ?? 'connection lost';
}

function pause(ms: number, options: PollOptions): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    options.signal?.addEventListener('abort', done, { once: true });
  });
}

export interface TenantOperationOutcome {
  /** 'called-off': an offboarding whose tenant was resumed first (the worker removes nothing). */
  status: 'succeeded' | 'failed' | 'called-off';
  /** The failure's text, as the worker stored it on the run. */
  error: string | null;
  /** Each stage's recorded details, by stage name. */
  details: Record<string, Record<string, unknown> | undefined>;
}

/**
 * Waits for a tenant job (provisioning, offboarding) by its runs in Postgres: the worker records a
 * `build_run` of that kind per attempt. It ends at the first succeeded run, or once as many runs
 * failed as the job has attempts (BullMQ will not try again). `notStartedMs`: how long to wait
 * for a first attempt to be recorded before concluding that no worker is taking jobs. An
 * offboarding ends at once, called off, when its tenant was resumed since the request (a resume
 * clears it): the worker then skips the job without recording a run.
 */
export async function waitForTenantOperation(
  prisma: PrismaClient,
  operation: { tenantId: string; kind: 'provision' | 'offboard'; attempts: number; notStartedMs?: number },
  options: PollOptions = {},
): Promise<TenantOperationOutcome | 'not-started'> {
  const startedBy = Date.now() + (operation.notStartedMs ?? 120_000);
  return pollUntil(async () => {
    const runs = await prisma.buildRun.findMany({
      where: { tenantId: operation.tenantId, kind: operation.kind },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { status: true, error: true, stages: true },
    });
    const succeeded = runs.find((run) => run.status === 'succeeded');
    if (succeeded) return { status: 'succeeded' as const, error: null, details: stageDetails(succeeded.stages) };
    const failed = runs.filter((run) => run.status === 'failed');
    if (failed.length >= operation.attempts) return { status: 'failed' as const, error: failed[0].error, details: stageDetails(failed[0].stages) };
    if (operation.kind === 'offboard') {
      // As the worker decides (it then skips the job and records no run): a resume clears the request.
      const tenant = await prisma.tenant.findUnique({ where: { id: operation.tenantId }, select: { status: true, offboardRequestedAt: true } });
      if (tenant && offboardingCalledOff(tenant)) {
        return { status: 'called-off' as const, error: `the tenant was resumed after the offboarding was asked for (it is ${tenant.status} now)`, details: {} };
      }
    }
    if (runs.length === 0 && Date.now() > startedBy) return 'not-started' as const;
    return undefined;
  }, options);
}

function stageDetails(stages: unknown): TenantOperationOutcome['details'] {
  const list = Array.isArray(stages) ? (stages as { stage: string; details?: Record<string, unknown> }[]) : [];
  return Object.fromEntries(list.map((s) => [s.stage, s.details]));
}
