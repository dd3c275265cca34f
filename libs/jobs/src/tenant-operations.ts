import type { Queue } from 'bullmq';
import { GOLD_REBUILD_MAX_ATTEMPTS, StageRecorder, TenantError, TenantService, type CreateTenantInput, type PrismaClient, type TenantWithSubscription } from '@kineo/db';
import { BUILD_STAGE_NAMES, buildStageJob, offboardTenantJob, provisionTenantJob, refreshRollupsJob, REFRESH_ROLLUPS_PRIORITY } from './definitions';
import type { JobQueues } from './queues';

/**
 * The tenant operations that need the worker (provisioning, offboarding, rebuilding): the CLI and
 * the gateway call these so both record and enqueue the same way.
 */

export interface ProvisionTicket {
  tenant: TenantWithSubscription;
  jobId: string;
}

/**
 * A tenant's provisioning and offboarding jobs are named after it, so the worker's sweep can tell
 * whether the queue still holds one (`recoverLostOperations`), and queueing one twice is harmless.
 */
export function tenantOperationJobId(kind: 'provision' | 'offboard', tenantId: string): string {
  return `${kind}-${tenantId}`;
}

/** Creates the tenant (validated, audited) and queues its provisioning; it turns active when the worker is done. */
export async function provisionTenant(prisma: PrismaClient, queues: JobQueues, input: CreateTenantInput): Promise<ProvisionTicket> {
  const tenant = await new TenantService(prisma).create(input);
  const jobId = await queueProvisioning(queues, { tenantId: tenant.id, requestedBy: input.actor });
  return { tenant, jobId };
}

/** Queues a recorded tenant's provisioning under its fixed job id (a request, or the sweep queueing a lost one again). */
export async function queueProvisioning(queues: JobQueues, payload: { tenantId: string; requestedBy: string }): Promise<string> {
  const job = await queues.enqueue(provisionTenantJob, payload, { jobId: tenantOperationJobId('provision', payload.tenantId) });
  return job.id!;
}

/**
 * Queues a requested offboarding under its fixed job id. An earlier offboarding of the tenant that
 * failed (or finished) still holds that id, and BullMQ would ignore the add: it is removed first, so
 * asking again after a failure runs it again, as it always has.
 */
export async function queueOffboarding(queues: JobQueues, payload: { tenantId: string; requestedBy: string }): Promise<string> {
  const jobId = tenantOperationJobId('offboard', payload.tenantId);
  await removeFinishedJob(queues.queue(offboardTenantJob.queue), jobId);
  const job = await queues.enqueue(offboardTenantJob, payload, { jobId });
  return job.id!;
}

export interface OffboardRequest {
  slug: string;
  /** Must repeat the slug: offboarding drops the tenant's warehouse data. */
  confirm: string;
  actor: string;
}

export interface OffboardTicket {
  tenant: TenantWithSubscription;
  jobId: string;
}

/**
 * Why an offboarding asked for is off now, or null while it stands: a resume calls it off (it makes
 * the tenant active and clears `offboardRequestedAt`), and suspending the tenant again for another
 * reason does not ask again. The worker skips such a job; a wait on it ends there.
 */
export function offboardingCalledOff(tenant: { status: string; offboardRequestedAt: Date | null }): string | null {
  if (tenant.status === 'active' || tenant.status === 'provisioning') return `the tenant is ${tenant.status}: it was resumed after the offboarding was asked for`;
  if (tenant.status === 'suspended' && tenant.offboardRequestedAt === null) return 'the offboarding was called off: the tenant was resumed after it was asked for (and suspended again since)';
  return null;
}

/**
 * Checks the typed confirmation, records who asked, suspends the tenant and queues the offboarding.
 * Suspending first closes the tenant from the moment ops ask: its sessions, sign-ins and uploads are
 * refused, so no file can land after the job has counted and deleted the landing store's.
 */
export async function requestOffboard(prisma: PrismaClient, queues: JobQueues, request: OffboardRequest): Promise<OffboardTicket> {
  if (request.confirm !== request.slug) {
    throw new TenantError('CONFIRMATION_MISMATCH', `Refusing to offboard: the confirmation must repeat the slug exactly ("${request.slug}").`, {
      slug: request.slug,
    });
  }
  const tenant = await new TenantService(prisma).get(request.slug);
  if (tenant.status === 'offboarded') {
    throw new TenantError('TENANT_STATUS_CONFLICT', `Tenant "${request.slug}" is already offboarded.`, { slug: request.slug });
  }
  const suspend = tenant.status === 'active' || tenant.status === 'provisioning';
  await prisma.$transaction([
    // Recorded with the request: the worker's sweep queues the offboarding again if the queue loses it.
    prisma.tenant.update({ where: { id: tenant.id }, data: { ...(suspend ? { status: 'suspended' as const } : {}), offboardRequestedAt: new Date(), operationMissingSince: null } }),
    prisma.auditEvent.create({
      data: { actor: request.actor, action: 'tenant.offboard_requested', tenantId: tenant.id, details: { slug: tenant.slug, suspendedFrom: suspend ? tenant.status : null } },
    }),
  ]);
  const jobId = await queueOffboarding(queues, { tenantId: tenant.id, requestedBy: request.actor });
  return { tenant: suspend ? { ...tenant, status: 'suspended' } : tenant, jobId };
}

export interface RebuildTicket {
  buildRunId: string;
  asOf: string;
}

/**
 * Why `requestRebuild` would refuse the tenant now (not active, nothing loaded), or null: asked
 * before offering a rebuild too, so the offer and the refusal never disagree.
 */
export async function rebuildRefusal(prisma: PrismaClient, tenant: { id: string; slug: string; status: string }): Promise<TenantError | null> {
  if (tenant.status !== 'active') {
    return new TenantError('TENANT_STATUS_CONFLICT', `Tenant "${tenant.slug}" is ${tenant.status}; only an active tenant can be rebuilt.`, { slug: tenant.slug });
  }
  const loaded = await prisma.ingestionRun.count({ where: { tenantId: tenant.id, status: 'succeeded' } });
  if (loaded === 0) return new TenantError('NO_DATA', 'Nothing has been loaded yet, so there is nothing to rebuild; upload the export files first.', { slug: tenant.slug });
  return null;
}

/**
 * Rebuilds silver, gold and the snapshots from what bronze holds, and publishes: how a changed
 * setting (the fiscal-year start) reaches the dashboards without a new load.
 */
export async function requestRebuild(
  prisma: PrismaClient,
  queues: JobQueues,
  /** asOf: the reference time for overdue, expiry and compliance; now unless given (ops rebuilding a tenant as at its last load's day). */
  request: {
    tenantId: string;
    actor: string;
    asOf?: Date;
    /** Names the stage jobs (`<prefix>-<stage>`) so callers that may race queue one; the run's id unless given. */
    jobIdPrefix?: string;
    /** BullMQ priority (a deploy's rebuilds go behind loads); none for an operator's. */
    priority?: number;
    /** Why it was asked for, kept in its audit event. */
    reason?: Record<string, unknown>;
  },
): Promise<RebuildTicket> {
  const tenant = await prisma.tenant.findUniqueOrThrow({ where: { id: request.tenantId } });
  const refusal = await rebuildRefusal(prisma, tenant);
  if (refusal) throw refusal;
  const asOf = (request.asOf ?? new Date()).toISOString();
  const build = await StageRecorder.start(prisma, {
    tenantId: tenant.id,
    kind: 'rebuild',
    asOf: new Date(asOf),
    planned: [...BUILD_STAGE_NAMES],
    status: 'queued',
  });
  await prisma.auditEvent.create({
    data: {
      actor: request.actor,
      action: 'build.requested',
      tenantId: tenant.id,
      details: { buildRunId: build.runId, asOf, fiscalYearStartMonth: tenant.fiscalYearStartMonth, ...(request.reason ?? {}) },
    },
  });
  await queues.enqueueBuildFlow({ tenantId: tenant.id, buildRunId: build.runId, asOf }, { idPrefix: request.jobIdPrefix, priority: request.priority });
  return { buildRunId: build.runId, asOf };
}

export interface QueuedGoldRebuild {
  /** Its stage jobs are `<jobIdPrefix>-<stage>`. */
  jobIdPrefix: string;
  /**
   * The run it recorded; null when it queued none: this version's rebuild for this release is queued
   * or running already (another replica, an earlier start), or its last allowed attempt failed.
   */
  buildRunId: string | null;
  /** The attempt it queued, or the attempts made so far when it queued none. */
  attempt: number;
  /** The failed attempt whose jobs it removed to queue this one. */
  replaced?: ReplacedRefreshJob;
  /** The last of GOLD_REBUILD_MAX_ATTEMPTS failed: nothing more is queued for this version and release. */
  gaveUp?: true;
}

/**
 * Queues a rebuild from bronze of a tenant whose published version lacks gold columns this release
 * reads (a rollups refresh copies the published gold and cannot add a column). One at a time per
 * tenant, version and release: the job ids say so, and a Postgres lock keeps replicas starting
 * together from each recording a run of their own. Behind loads, like a refresh; as at the
 * version's own as_of, so only what the release changed moves.
 *
 * A failed attempt holds its job ids, so asking again removes its jobs and queues the next attempt
 * (as queueRollupRefresh does over a failed refresh), up to GOLD_REBUILD_MAX_ATTEMPTS; after that
 * it stays failed, audited once as `build.rebuild_gave_up`, until ops run `kineo tenant rebuild`.
 * Each attempt is recorded in gold_rebuild (what the fleet shows) and audited as `build.requested`.
 */
export async function queueGoldRebuild(
  prisma: PrismaClient,
  queues: JobQueues,
  request: { tenantId: string; version: number; releaseKey: string; missing: string[]; asOf?: Date },
): Promise<QueuedGoldRebuild> {
  const jobIdPrefix = `gold-${request.tenantId}-v${request.version}-${request.releaseKey}`;
  const queue = queues.queue(buildStageJob.queue);
  const root = `${jobIdPrefix}-${BUILD_STAGE_NAMES[BUILD_STAGE_NAMES.length - 1]}`;
  // Replicas take turns on a lock named after the jobs: the first records the run and queues it,
  // the next finds its jobs. Recorded and queued together, or neither.
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`select pg_advisory_xact_lock(hashtext(${jobIdPrefix}))`;
      const record = await tx.goldRebuild.findUnique({ where: { tenantId: request.tenantId } });
      const same = record?.fromVersion === request.version && record.releaseKey === request.releaseKey ? record : null;
      const job = await queue.getJob(root);
      // Jobs queued before attempts were recorded count as one.
      const made = same?.attempts ?? (job ? 1 : 0);
      if (job && (await job.getState()) !== 'failed') return { jobIdPrefix, buildRunId: null, attempt: made };
      if (made >= GOLD_REBUILD_MAX_ATTEMPTS) {
        if (same && !same.gaveUpAt) {
          await tx.goldRebuild.update({ where: { tenantId: request.tenantId }, data: { gaveUpAt: new Date() } });
          await tx.auditEvent.create({
            data: {
              actor: 'worker',
              action: 'build.rebuild_gave_up',
              tenantId: request.tenantId,
              details: { fromVersion: request.version, releaseKey: request.releaseKey, attempts: made, buildRunId: same.buildRunId, missing: request.missing, reason: job?.failedReason || null },
            },
          });
        }
        return { jobIdPrefix, buildRunId: null, attempt: made, gaveUp: true };
      }
      const replaced = job ? await removeFinishedJob(queue, root, ['failed']) : null;
      // Not removable now (a process holds it): the next scan or sweep tries again.
      if (job && !replaced) return { jobIdPrefix, buildRunId: null, attempt: made };
      const attempt = made + 1;
      const ticket = await requestRebuild(tx as unknown as PrismaClient, queues, {
        tenantId: request.tenantId,
        actor: 'worker',
        asOf: request.asOf,
        jobIdPrefix,
        priority: REFRESH_ROLLUPS_PRIORITY,
        reason: {
          reason: 'gold_columns_missing',
          fromVersion: request.version,
          releaseKey: request.releaseKey,
          missing: request.missing,
          attempt,
          maxAttempts: GOLD_REBUILD_MAX_ATTEMPTS,
          ...(replaced ? { replaced: { ...replaced } } : {}),
        },
      });
      const fields = { fromVersion: request.version, releaseKey: request.releaseKey, missing: request.missing, attempts: attempt, buildRunId: ticket.buildRunId, gaveUpAt: null };
      await tx.goldRebuild.upsert({
        where: { tenantId: request.tenantId },
        create: { tenantId: request.tenantId, ...fields },
        update: { ...fields, ...(attempt === 1 ? { requestedAt: new Date() } : {}) },
      });
      return { jobIdPrefix, buildRunId: ticket.buildRunId, attempt, ...(replaced ? { replaced } : {}) };
    },
    { timeout: 30_000 },
  );
}

/**
 * What the worker's periodic sweep does between starts: every tenant still on the version a gold
 * rebuild was queued for, whose latest attempt failed and that has attempts left, gets the next one.
 * Reads Postgres only (no warehouse), so it is cheap enough to run with the pending-loads sweep.
 */
export async function requeueFailedGoldRebuilds(prisma: PrismaClient, queues: JobQueues): Promise<(QueuedGoldRebuild & { tenantId: string })[]> {
  const records = (
    await prisma.goldRebuild.findMany({ where: { gaveUpAt: null, tenant: { status: 'active' } }, include: { tenant: { select: { dataVersion: true } } } })
  ).filter((r) => r.tenant.dataVersion === r.fromVersion);
  if (records.length === 0) return [];
  const failed = new Map(
    (await prisma.buildRun.findMany({ where: { id: { in: records.map((r) => r.buildRunId) }, status: { in: ['failed', 'cancelled'] } }, select: { id: true, asOf: true } })).map((r) => [r.id, r]),
  );
  const out: (QueuedGoldRebuild & { tenantId: string })[] = [];
  for (const record of records) {
    const run = failed.get(record.buildRunId);
    if (!run) continue;
    const queued = await queueGoldRebuild(prisma, queues, {
      tenantId: record.tenantId,
      version: record.fromVersion,
      releaseKey: record.releaseKey,
      missing: record.missing,
      asOf: run.asOf ?? undefined,
    });
    out.push({ tenantId: record.tenantId, ...queued });
  }
  return out;
}

/** The stages a rollups-only refresh records: the stale rollups built on a copy of the version, then its publish. */
export const REFRESH_ROLLUPS_STAGES = ['rollups', 'publish'] as const;

/** A job that held the id a new one asks for (a refresh, a gold rebuild's flow), finished, and was removed so the new one is queued. */
export interface ReplacedRefreshJob {
  jobId: string;
  state: 'failed' | 'completed';
  /** Why it failed (BullMQ's failedReason), for a failed one. */
  reason: string | null;
  finishedAt: string | null;
}

export interface QueuedRollupRefresh {
  jobId: string;
  /** Set when the id belonged to a finished job, which was removed first. */
  replaced: ReplacedRefreshJob | null;
}

/**
 * Queues a tenant's rollups refresh behind every load (BullMQ priority). `jobId` deduplicates: the
 * worker's start-up scan names the job after the tenant, its version and the model's rollups, so
 * every replica starting with the same release queues it once. BullMQ ignores an add whose id a
 * job still holds, even a failed or completed one; such a job is finished, and the caller only asks
 * because the rollups are still stale (a refresh failed, or an older worker without the handler
 * failed it during a rolling deploy), so it is removed and the refresh queued anew.
 */
export async function queueRollupRefresh(
  queues: JobQueues,
  refresh: { tenantId: string; buildRunId?: string; requestedBy: string; jobId: string },
): Promise<QueuedRollupRefresh> {
  const { jobId, ...payload } = refresh;
  const replaced = await removeFinishedJob(queues.queue(refreshRollupsJob.queue), jobId);
  const job = await queues.enqueue(refreshRollupsJob, payload, { jobId, priority: REFRESH_ROLLUPS_PRIORITY });
  return { jobId: job.id!, replaced };
}

/**
 * Frees a job id a finished job (in one of `states`) still holds, so the same id can be queued
 * again: BullMQ ignores an add whose id a job holds, even a failed or completed one. A flow's root
 * goes with the jobs under it. Null when no such job was removed.
 */
async function removeFinishedJob(queue: Queue, jobId: string, states: readonly ('failed' | 'completed')[] = ['failed', 'completed']): Promise<ReplacedRefreshJob | null> {
  const existing = await queue.getJob(jobId);
  if (!existing) return null;
  const state = await existing.getState();
  // remove() refuses a job that is locked (active); a finished one is not, and a replica racing
  // us to it finds it gone (0 removed) and just adds, which the id then deduplicates.
  if (!(state === 'failed' || state === 'completed') || !states.includes(state) || (await queue.remove(jobId)) !== 1) return null;
  return {
    jobId,
    state,
    reason: state === 'failed' ? existing.failedReason || null : null,
    finishedAt: existing.finishedOn ? new Date(existing.finishedOn).toISOString() : null,
  };
}

export interface RollupRefreshTicket {
  buildRunId: string;
  jobId: string;
}

/**
 * Ops asking for a tenant's rollups to be refreshed (kineo tenant refresh-rollups): recorded as a
 * queued build run and audited first, so it can be followed; the worker finds what is stale and
 * ends the run without a new version when nothing is.
 */
export async function requestRollupRefresh(prisma: PrismaClient, queues: JobQueues, request: { tenantId: string; actor: string }): Promise<RollupRefreshTicket> {
  const tenant = await prisma.tenant.findUniqueOrThrow({ where: { id: request.tenantId } });
  if (tenant.status !== 'active') {
    throw new TenantError('TENANT_STATUS_CONFLICT', `Tenant "${tenant.slug}" is ${tenant.status}; only an active tenant's rollups can be refreshed.`, {
      slug: tenant.slug,
    });
  }
  if (tenant.dataVersion < 1) {
    throw new TenantError('NO_DATA', `Tenant "${tenant.slug}" has published nothing yet, so it has no rollups to refresh.`, { slug: tenant.slug });
  }
  const build = await StageRecorder.start(prisma, { tenantId: tenant.id, kind: 'rollups', planned: [...REFRESH_ROLLUPS_STAGES], status: 'queued' });
  await prisma.auditEvent.create({
    data: { actor: request.actor, action: 'rollups.refresh_requested', tenantId: tenant.id, details: { buildRunId: build.runId, dataVersion: tenant.dataVersion } },
  });
  const { jobId } = await queueRollupRefresh(queues, { tenantId: tenant.id, buildRunId: build.runId, requestedBy: request.actor, jobId: `${build.runId}-rollups` });
  return { buildRunId: build.runId, jobId };
}
