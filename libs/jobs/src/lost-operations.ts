import type { PrismaClient } from '@kineo/db';
import { offboardTenantJob, provisionTenantJob } from './definitions';
import { DEFAULT_ENQUEUE_TIMEOUT_MS } from './loads';
import { missingWorkVerdict, withTimeout } from './queue-probe.util';
import type { JobQueues } from './queues';
import { queueOffboarding, queueProvisioning, tenantOperationJobId } from './tenant-operations';

/** A provisioning or offboarding whose job the queue lost, queued again by `recoverLostOperations`. */
export interface RecoveredOperation {
  kind: 'provision' | 'offboard';
  tenantId: string;
  slug: string;
  jobId: string;
  /** Who asked for it (its audit event's actor), whom the job acts for again. */
  requestedBy: string;
  /** When a sweep first found its job missing from the queue. */
  missingSince: string;
}

/** What one sweep did; `unreachable` when Redis did not answer, so it queued nothing more. */
export interface LostOperationsSweep {
  recovered: RecoveredOperation[];
  /** Tenants whose operation's job was found missing for the first time, or is still within the grace. */
  waiting: string[];
  unreachable?: string;
}

const OPERATIONS = {
  provision: { job: provisionTenantJob, requested: 'tenant.created', queue: queueProvisioning },
  offboard: { job: offboardTenantJob, requested: 'tenant.offboard_requested', queue: queueOffboarding },
} as const;

/**
 * Queues again each tenant's provisioning or offboarding whose job the queue lost (Redis back without
 * its data), the way `recoverLostFlows` starts lost loads again. What is unfinished is read from
 * Postgres: a tenant still `provisioning`, or `suspended` with `offboard_requested_at` (set by
 * `requestOffboard`, cleared by a resume), whose job (`tenantOperationJobId`) is in BullMQ in no
 * state. One that BullMQ gave up on (as many failed runs of its kind as its job has attempts, an
 * offboarding's counted from its request) is finished: ops ask again. A suspended tenant's
 * provisioning is never queued again (only offboarding suspends a provisioning tenant, and that is
 * what it is then waiting for); an offboarding is, its tenant being suspended by design.
 *
 * As for loads, a handler may still be running with its tenant lock gone, so the job is only queued
 * again once it has been missing for `graceMs` by Postgres's clock, counted from the first sweep
 * that found it missing (`tenant.operation_missing_since`); one found again is forgotten. A sweep
 * takes a tenant by clearing the `operation_missing_since` it saw, so one recovery is queued and
 * audited (`tenant.provision_recovered`, `tenant.offboard_recovered`) whatever the number of
 * workers sweeping; the fixed job id makes a second add harmless anyway. Both handlers finish a
 * half-done run when run again.
 */
export async function recoverLostOperations(
  prisma: PrismaClient,
  queues: JobQueues,
  options: { graceMs: number; enqueueTimeoutMs?: number },
): Promise<LostOperationsSweep> {
  const timeoutMs = options.enqueueTimeoutMs ?? DEFAULT_ENQUEUE_TIMEOUT_MS;
  const sweep: LostOperationsSweep = { recovered: [], waiting: [] };
  const pending = await prisma.tenant.findMany({
    where: { OR: [{ status: 'provisioning' }, { status: 'suspended', offboardRequestedAt: { not: null } }] },
    orderBy: { createdAt: 'asc' },
    take: 100,
  });
  if (pending.length === 0) return sweep;
  // One clock for every process sweeping: a worker's own may be off.
  const [{ now }] = await prisma.$queryRaw<{ now: Date }[]>`select now() as now`;
  for (const tenant of pending) {
    const kind = tenant.status === 'provisioning' ? 'provision' : 'offboard';
    const operation = OPERATIONS[kind];
    const failed = await prisma.buildRun.count({
      where: { tenantId: tenant.id, kind, status: 'failed', ...(tenant.offboardRequestedAt && kind === 'offboard' ? { createdAt: { gte: tenant.offboardRequestedAt } } : {}) },
    });
    if (failed >= operation.job.attempts) {
      if (tenant.operationMissingSince) await prisma.tenant.updateMany({ where: { id: tenant.id, operationMissingSince: tenant.operationMissingSince }, data: { operationMissingSince: null } });
      continue;
    }
    const jobId = tenantOperationJobId(kind, tenant.id);
    const found = await missingWorkVerdict(
      { missingSince: tenant.operationMissingSince, present: async () => (await queues.queue(operation.job.queue).getJob(jobId)) !== undefined },
      { now, graceMs: options.graceMs, timeoutMs },
      {
        mark: (seen, to) => prisma.tenant.updateMany({ where: { id: tenant.id, operationMissingSince: seen }, data: { operationMissingSince: to } }),
        // Taken by this sweep alone, and only while the operation is still the one pending.
        take: async (seen) =>
          (
            await prisma.tenant.updateMany({
              where: { id: tenant.id, operationMissingSince: seen, status: tenant.status, offboardRequestedAt: tenant.offboardRequestedAt },
              data: { operationMissingSince: null },
            })
          ).count === 1,
      },
    );
    if (found.verdict === 'unreachable') {
      sweep.unreachable = found.error;
      return sweep;
    }
    if (found.verdict === 'waiting') sweep.waiting.push(tenant.id);
    if (found.verdict !== 'taken') continue;
    const missingSince = found.missingSince;
    const asked = await prisma.auditEvent.findFirst({
      where: { tenantId: tenant.id, action: operation.requested },
      orderBy: { createdAt: 'desc' },
      select: { actor: true },
    });
    const requestedBy = asked?.actor ?? 'worker';
    try {
      await withTimeout(operation.queue(queues, { tenantId: tenant.id, requestedBy }), timeoutMs);
    } catch (error) {
      // Left as it was found, so the next sweep tries again without a second grace.
      await prisma.tenant.updateMany({ where: { id: tenant.id, operationMissingSince: null }, data: { operationMissingSince: missingSince } });
      sweep.unreachable = error instanceof Error ? error.message : String(error);
      return sweep;
    }
    const recovered: RecoveredOperation = { kind, tenantId: tenant.id, slug: tenant.slug, jobId, requestedBy, missingSince: missingSince.toISOString() };
    const { kind: _kind, tenantId: _tenantId, ...details } = recovered;
    await prisma.auditEvent.create({
      data: {
        actor: 'worker',
        action: kind === 'provision' ? 'tenant.provision_recovered' : 'tenant.offboard_recovered',
        tenantId: tenant.id,
        details: {
          ...details,
          reason: `its job was not in the queue for ${Math.round(options.graceMs / 1000)} s or more (Redis lost its data?), and the tenant is still ${tenant.status}`,
        },
      },
    });
    sweep.recovered.push(recovered);
  }
  return sweep;
}
