import type { LandingStore } from '@kineo/landing';
import { landingRetentionOf, type PrismaClient } from '@kineo/db';
import type { JobPayload, landingRetentionJob } from '@kineo/jobs';
import type { JobContext } from '../../engine/job-handler.registry';

export interface LandingRetentionDeps {
  prisma: PrismaClient;
  /** Where loads' files are (LANDING_STORE): run folders on disk, or run prefixes in a blob container. */
  landing: LandingStore;
  /** The LANDING_RETENTION_DAYS setting: the period of tenants without their own. */
  landingRetentionDays: number;
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);
const DAY_MS = 24 * 3600 * 1000;

// A type, not an interface, so that it is a JSON value to Prisma (it gets an implicit index signature).
export type RemovedFolder = {
  ingestionRunId: string;
  /** The run's status, or `unrecorded` for a folder no run was ever recorded for. */
  status: string;
  files: number;
  bytes: number;
};

export interface LandingSweepReport {
  tenants: { tenant: string; retentionDays: number; removed: RemovedFolder[] }[];
}

/**
 * Deletes each tenant's landing run folders (`landing/<namespace>/<run id>/`, on disk or as a blob
 * prefix, whichever the landing store is) whose load finished
 * (published, failed or cancelled) longer ago than the tenant's retention period, and run folders
 * no run was recorded for (a request that failed before recording) last touched that long ago.
 * Queued and running loads keep theirs whatever their age; `incoming/` and `.resumable/` are not
 * run folders and have their own life cycles. Each tenant's deletions are one audit event.
 */
export async function sweepLanding(deps: LandingRetentionDeps, now: Date): Promise<LandingSweepReport> {
  const report: LandingSweepReport = { tenants: [] };
  const tenants = await deps.prisma.tenant.findMany({ select: { id: true, slug: true, namespace: true, landingRetentionDays: true }, orderBy: { slug: 'asc' } });
  for (const tenant of tenants) {
    const landed = await deps.landing.listRuns(tenant.namespace);
    if (landed.length === 0) continue;
    const retention = landingRetentionOf(tenant, deps.landingRetentionDays);
    const cutoff = now.getTime() - retention.days * DAY_MS;
    const runs = await deps.prisma.ingestionRun.findMany({
      where: { tenantId: tenant.id, id: { in: landed.map((r) => r.ingestionRunId) } },
      select: { id: true, status: true, finishedAt: true, createdAt: true },
    });
    const byId = new Map(runs.map((run) => [run.id, run]));
    const removed: RemovedFolder[] = [];
    for (const { ingestionRunId, files, bytes, lastModified } of landed) {
      const run = byId.get(ingestionRunId);
      const expired = run
        ? FINISHED.has(run.status) && (run.finishedAt ?? run.createdAt).getTime() < cutoff
        : lastModified < cutoff;
      if (!expired) continue;
      await deps.landing.removeRun(tenant.namespace, ingestionRunId);
      removed.push({ ingestionRunId, status: run?.status ?? 'unrecorded', files, bytes });
    }
    if (removed.length === 0) continue;
    await deps.prisma.auditEvent.create({
      data: {
        actor: 'worker:retention',
        action: 'landing.retention_swept',
        tenantId: tenant.id,
        details: { retentionDays: retention.days, retentionSource: retention.source, cutoff: new Date(cutoff).toISOString(), removed },
      },
    });
    report.tenants.push({ tenant: tenant.slug, retentionDays: retention.days, removed });
  }
  return report;
}

export function landingRetentionHandler(deps: LandingRetentionDeps) {
  return async (payload: JobPayload<typeof landingRetentionJob>, context: JobContext) => {
    const report = await sweepLanding(deps, payload.now ? new Date(payload.now) : new Date());
    const removed = report.tenants.reduce((n, t) => n + t.removed.length, 0);
    if (removed > 0) context.log.info({ tenants: report.tenants.map((t) => t.tenant), folders: removed }, 'removed expired landing folders');
    return report;
  };
}
