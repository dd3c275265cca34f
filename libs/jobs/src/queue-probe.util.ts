import type { QueueName } from './definitions';
import type { JobQueues } from './queues';

/** Whether any of a flow's jobs is in BullMQ, in any state. */
export async function anyJobExists(queues: JobQueues, jobs: { queue: QueueName; id: string }[]): Promise<boolean> {
  for (const job of jobs) if (await queues.queue(job.queue).getJob(job.id)) return true;
  return false;
}

/** `promise`, or a rejection once `ms` have passed: BullMQ waits for an unreachable Redis for ever. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms)));
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Where a piece of unfinished work stands in the wait before it is started again (recoverLostFlows,
 * recoverLostOperations). `present` asks BullMQ whether any job of it exists (given `timeoutMs`: an
 * unanswered question is not a missing job, so `unreachable` then, with Redis's error);
 * `missingSince` is the column a first sweep that found none set (by Postgres's `now`), `mark(seen,
 * to)` moves that column from what this sweep saw, and `take(seen)` clears it only while the work is
 * still unfinished (one sweep alone gets true). Found: the wait is forgotten. Missing for the first
 * time, or for less than `graceMs`: waiting.
 */
export async function missingWorkVerdict(
  work: { missingSince: Date | null; present: () => Promise<boolean> },
  clock: { now: Date; graceMs: number; timeoutMs: number },
  column: { mark: (seen: Date | null, to: Date | null) => Promise<unknown>; take: (seen: Date) => Promise<boolean> },
): Promise<{ verdict: 'present' | 'waiting' | 'taken-by-another' } | { verdict: 'taken'; missingSince: Date } | { verdict: 'unreachable'; error: string }> {
  let present: boolean;
  try {
    present = await withTimeout(work.present(), clock.timeoutMs);
  } catch (error) {
    return { verdict: 'unreachable', error: error instanceof Error ? error.message : String(error) };
  }
  if (present) {
    if (work.missingSince) await column.mark(work.missingSince, null);
    return { verdict: 'present' };
  }
  if (!work.missingSince) {
    await column.mark(null, clock.now);
    return { verdict: 'waiting' };
  }
  if (clock.now.getTime() - work.missingSince.getTime() < clock.graceMs) return { verdict: 'waiting' };
  return (await column.take(work.missingSince)) ? { verdict: 'taken', missingSince: work.missingSince } : { verdict: 'taken-by-another' };
}
