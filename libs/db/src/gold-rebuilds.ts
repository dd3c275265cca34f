import type { PrismaClient } from '../generated/prisma';

/** Rebuilds a worker queues for one published version and release before it stops retrying (the first one included). */
export const GOLD_REBUILD_MAX_ATTEMPTS = 3;

/** Where a tenant's rebuild for missing gold columns stands: queued, running, or its latest attempt failed. */
export type GoldRebuildState = 'queued' | 'running' | 'failed';

export interface GoldRebuildStatus {
  state: GoldRebuildState;
  /** The published version lacking the columns (the tenant's current one). */
  fromVersion: number;
  /** table.column, each one it lacks. */
  missing: string[];
  attempts: number;
  maxAttempts: number;
  /** False once a failed attempt was the last one the worker makes: only "kineo tenant rebuild" goes on. */
  willRetry: boolean;
  /** The run of the latest attempt, and its error when it failed. */
  buildRunId: string;
  error: string | null;
  requestedAt: Date;
}

/**
 * The rebuilds the tenants given are waiting for: a tenant appears while its published version is
 * the one a worker's scan found lacking gold columns and that rebuild has not published. Two
 * queries for a page of the fleet, no warehouse read.
 */
export async function goldRebuildsOf(prisma: PrismaClient, tenants: readonly { id: string; dataVersion: number }[]): Promise<Map<string, GoldRebuildStatus>> {
  const versions = new Map(tenants.map((t) => [t.id, t.dataVersion]));
  const records = (await prisma.goldRebuild.findMany({ where: { tenantId: { in: [...versions.keys()] } } })).filter((r) => versions.get(r.tenantId) === r.fromVersion);
  if (records.length === 0) return new Map();
  const runs = new Map(
    (await prisma.buildRun.findMany({ where: { id: { in: records.map((r) => r.buildRunId) } }, select: { id: true, status: true, error: true } })).map((r) => [r.id, r]),
  );
  const out = new Map<string, GoldRebuildStatus>();
  for (const record of records) {
    const run = runs.get(record.buildRunId);
    // A run that succeeded published the next version (the record is then behind the tenant); none: its tenant's runs were purged.
    if (!run || run.status === 'succeeded') continue;
    const state: GoldRebuildState = run.status === 'failed' || run.status === 'cancelled' ? 'failed' : run.status === 'running' ? 'running' : 'queued';
    out.set(record.tenantId, {
      state,
      fromVersion: record.fromVersion,
      missing: record.missing,
      attempts: record.attempts,
      maxAttempts: GOLD_REBUILD_MAX_ATTEMPTS,
      willRetry: state !== 'failed' || (record.gaveUpAt === null && record.attempts < GOLD_REBUILD_MAX_ATTEMPTS),
      buildRunId: record.buildRunId,
      error: state === 'failed' ? run.error : null,
      requestedAt: record.requestedAt,
    });
  }
  return out;
}
