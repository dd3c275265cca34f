import type { Queue } from 'bullmq';
import { dbCall, GOLD_REBUILD_MAX_ATTEMPTS, monthName, StageRecorder, TenantError, TenantService, type CreateTenantInput, type Prisma, type PrismaClient, type TenantWithSubscription } from '@kineo/db';
import { BUILD_STAGE_NAMES, buildStageJob, offboardTenantJob, provisionTenantJob, refreshRollupsJob, REFRESH_ROLLUPS_PRIORITY } from './definitions';
import type { JobQueues } from './queues';
import { withTimeout } from './queue-probe.util';

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
 * Whether the worker gave up on the offboarding asked for at `requestedAt`: its job failed as many
 * runs (recorded from that request on) as it has attempts. Until then the offboarding stands (queued,
 * running or retrying; one the queue lost is queued again by `recoverLostOperations`); after, ops ask again.
 */
export async function offboardingGaveUp(db: Pick<Prisma.TransactionClient, 'buildRun'>, tenantId: string, requestedAt: Date): Promise<boolean> {
  const failed = await db.buildRun.count({ where: { tenantId, kind: 'offboard', status: 'failed', createdAt: { gte: requestedAt } } });
  return failed >= offboardTenantJob.attempts;
}

/**
 * Checks the typed confirmation, records who asked, suspends the tenant and queues the offboarding.
 * Suspending first closes the tenant from the moment ops ask: its sessions, sign-ins and uploads are
 * refused, so no file can land after the job has counted and deleted the landing store's.
 *
 * One request, one audit event, one job: asked again while its offboarding stands (a double-click,
 * two ops at once, the CLI while the console's request waits in the queue), it answers that request
 * (the tenant as it is, the same job id) and records nothing. The tenant's row is locked from the
 * check to the commit, so of requests at once only the first records one. Asked again once it has
 * failed for good, it is a new request and runs again, as it always has: the worker gave up
 * (`offboardingGaveUp`), or the queue holds its job failed (or finished) and queued since the
 * request. A finished job queued before the request is an earlier request's: the repeat queues the
 * standing request's job under the same id too (one job still), in case the request that recorded it
 * stopped before queuing it.
 */
export async function requestOffboard(prisma: PrismaClient, queues: JobQueues, request: OffboardRequest): Promise<OffboardTicket> {
  if (request.confirm !== request.slug) {
    throw new TenantError('CONFIRMATION_MISMATCH', `Refusing to offboard: the confirmation must repeat the slug exactly ("${request.slug}").`, {
      slug: request.slug,
    });
  }
  const tenants = new TenantService(prisma);
  const found = await tenants.get(request.slug);
  const jobId = tenantOperationJobId('offboard', found.id);
  // Read before the lock (Redis is not waited on while the row is held); an unanswered queue is no finished job.
  const job = await withTimeout(finishedJob(queues.queue(offboardTenantJob.queue), jobId), JOB_LOOKUP_TIMEOUT_MS).catch(() => null);
  const outcome = await dbCall(() =>
    prisma.$transaction(async (tx): Promise<'recorded' | 'standing' | 'unqueued'> => {
      await tx.$queryRaw`select 1 from tenant where id = ${found.id}::uuid for update`;
      const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: found.id } });
      if (tenant.status === 'offboarded') {
        throw new TenantError('TENANT_STATUS_CONFLICT', `Tenant "${request.slug}" is already offboarded.`, { slug: request.slug });
      }
      const asked = tenant.offboardRequestedAt;
      const failed = asked !== null && ((job !== null && job.queuedAt >= asked.getTime()) || (await offboardingGaveUp(tx, tenant.id, asked)));
      // It stands. A finished job queued before it is an earlier request's, which the request that
      // recorded it replaces just after its commit, or never did (its process stopped in between).
      if (tenant.status === 'suspended' && asked && !failed) return job ? 'unqueued' : 'standing';
      const suspend = tenant.status === 'active' || tenant.status === 'provisioning';
      // Recorded with the request: the worker's sweep queues the offboarding again if the queue loses it.
      await tx.tenant.update({ where: { id: tenant.id }, data: { ...(suspend ? { status: 'suspended' as const } : {}), offboardRequestedAt: new Date(), operationMissingSince: null } });
      await tx.auditEvent.create({
        data: { actor: request.actor, action: 'tenant.offboard_requested', tenantId: tenant.id, details: { slug: tenant.slug, suspendedFrom: suspend ? tenant.status : null } },
      });
      return 'recorded';
    }),
  );
  // Under its fixed id: queued once however many requests (and sweeps) ask at once.
  if (outcome !== 'standing') await queueOffboarding(queues, { tenantId: found.id, requestedBy: request.actor });
  return { tenant: await tenants.get(request.slug), jobId };
}

/** How long `requestOffboard` waits to read the queue, as a request waits for it to accept a load (DEFAULT_ENQUEUE_TIMEOUT_MS). */
const JOB_LOOKUP_TIMEOUT_MS = 5_000;

/** The job under `jobId` if it has finished (failed or completed), with when it was queued (BullMQ's timestamp); null otherwise. */
async function finishedJob(queue: Queue, jobId: string): Promise<{ queuedAt: number } | null> {
  const job = await queue.getJob(jobId);
  if (!job) return null;
  const state = await job.getState();
  return state === 'failed' || state === 'completed' ? { queuedAt: job.timestamp } : null;
}

export interface RebuildTicket {
  buildRunId: string;
  asOf: string;
  /** When the run was asked for (recorded, queued). */
  queuedAt: string;
  /**
   * Set when this request queued nothing new: the tenant's build already queued or running (a
   * rebuild, or a load's build), which `buildRunId` names and which the request was answered with.
   */
  underWay?: BuildUnderWay;
  /**
   * Set when the rebuild named waits for a build under way that would not build what was asked (it
   * started under another fiscal-year start, or builds another as-of): that build. The rebuild's flow
   * is queued once that build has ended, however it ends.
   */
  follows?: FollowedBuild;
  /** The fiscal-year start the rebuild builds with: the one its first stage fixed, or the tenant's now while none has started. */
  fiscalYearStartMonth: number;
}

/** A build of a tenant queued or running: a rebuild, or the build of a load. */
export interface BuildUnderWay {
  kind: 'rebuild' | 'load';
  status: 'queued' | 'running';
}

/** The build a rebuild follows (see `requestRebuild`), as it is now. */
export interface FollowedBuild {
  buildRunId: string;
  kind: 'rebuild' | 'load';
  /** queued, running, or how it ended (succeeded, failed, cancelled). */
  status: string;
  asOf: string;
  /** The fiscal-year start its first stage fixed; null before one started. */
  fiscalYearStartMonth: number | null;
}

/**
 * Why `requestRebuild` would refuse the tenant now (not active, nothing loaded), or null: asked
 * before offering a rebuild too, so the offer and the refusal never disagree.
 */
export async function rebuildRefusal(db: Pick<Prisma.TransactionClient, 'ingestionRun'>, tenant: { id: string; slug: string; status: string }): Promise<TenantError | null> {
  if (tenant.status !== 'active') {
    return new TenantError('TENANT_STATUS_CONFLICT', `Tenant "${tenant.slug}" is ${tenant.status}; only an active tenant can be rebuilt.`, { slug: tenant.slug });
  }
  const loaded = await db.ingestionRun.count({ where: { tenantId: tenant.id, status: 'succeeded' } });
  if (loaded === 0) return new TenantError('NO_DATA', 'Nothing has been loaded yet, so there is nothing to rebuild; upload the export files first.', { slug: tenant.slug });
  return null;
}

type BuildRunRow = Prisma.BuildRunGetPayload<object>;
type BuildsDb = Pick<Prisma.TransactionClient, 'buildRun' | 'tenant'>;

/** The tenant's latest rebuild or load's build that is queued or running. */
function latestBuildUnderWay(db: Pick<Prisma.TransactionClient, 'buildRun'>, tenantId: string): Promise<BuildRunRow | null> {
  return db.buildRun.findFirst({
    where: { tenantId, kind: { in: ['rebuild', 'load'] }, status: { in: ['queued', 'running'] } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
}

function followedBuild(run: BuildRunRow): FollowedBuild {
  return {
    buildRunId: run.id,
    kind: run.kind === 'load' ? 'load' : 'rebuild',
    status: run.status,
    asOf: (run.asOf ?? run.createdAt).toISOString(),
    fiscalYearStartMonth: run.fiscalYearStartMonth,
  };
}

/** A run as the ticket that answers a request; `underWay` when the request is answered with it rather than recording it. */
async function ticketOf(db: BuildsDb, run: BuildRunRow, tenant: { fiscalYearStartMonth: number }, underWay: boolean): Promise<RebuildTicket> {
  const follows = run.followsBuildRunId ? await db.buildRun.findUnique({ where: { id: run.followsBuildRunId } }) : null;
  return {
    buildRunId: run.id,
    asOf: (run.asOf ?? run.createdAt).toISOString(),
    queuedAt: run.createdAt.toISOString(),
    ...(underWay ? { underWay: { kind: run.kind === 'load' ? ('load' as const) : ('rebuild' as const), status: run.status === 'running' ? ('running' as const) : ('queued' as const) } } : {}),
    ...(follows ? { follows: followedBuild(follows) } : {}),
    fiscalYearStartMonth: run.fiscalYearStartMonth ?? tenant.fiscalYearStartMonth,
  };
}

/** The tenant's latest rebuild or load's build that is queued or running, as a ticket naming it, or null. */
export async function buildUnderWay(db: BuildsDb, tenantId: string): Promise<RebuildTicket | null> {
  const run = await latestBuildUnderWay(db, tenantId);
  if (!run) return null;
  return ticketOf(db, run, await db.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { fiscalYearStartMonth: true } }), true);
}

/**
 * Why the build under way would not build what a rebuild asked for now builds, or null when it
 * would: it builds another as-of than the one asked for, or its first stage fixed another
 * fiscal-year start than the tenant's now. A build none of whose stages has started fixes the start
 * when its first does, so it builds the tenant's current one.
 */
function wouldNotBuildAsked(run: BuildRunRow, tenant: { fiscalYearStartMonth: number }, asOf: Date | undefined): string | null {
  const runAsOf = run.asOf ?? run.createdAt;
  if (asOf && runAsOf.getTime() !== asOf.getTime()) return `it builds as of ${runAsOf.toISOString()}, not ${asOf.toISOString()}`;
  if (run.fiscalYearStartMonth !== null && run.fiscalYearStartMonth !== tenant.fiscalYearStartMonth) {
    return `it started with the fiscal year starting in ${monthName(run.fiscalYearStartMonth)}, and the fiscal year now starts in ${monthName(tenant.fiscalYearStartMonth)}`;
  }
  return null;
}

/**
 * Rebuilds silver, gold and the snapshots from what bronze holds, and publishes: how a changed
 * setting (the fiscal-year start) reaches the dashboards without a new load.
 *
 * One build at a time is asked for. While a rebuild or a load's build of the tenant is queued or
 * running and would build what is asked (none of its stages has started, or its first stage fixed
 * the tenant's current fiscal-year start; and the as-of asked for, when one is), the request queues
 * nothing and is answered with that run (`underWay`), the way the portal follows the one under way
 * instead of offering another. A build under way that would not (it started before the fiscal year
 * was changed, or builds another as-of) is followed: the request records a rebuild, queued, that
 * names it (`follows`), and its flow is queued only once that build has ended, however it ends
 * (`queueFollowers`, from the worker; the lost-flows sweep if the worker died in between). A request
 * while that follower is still queued is answered with the follower. Rebuilds queued side by side
 * would publish in whatever order their stages finish, a later request's version under an earlier
 * one's. Requests take turns on a per-tenant Postgres lock from the check to the commit of the run
 * they record, so of requests at once (two tabs, the CLI and the portal) exactly one records a run
 * and the others are answered with it.
 */
export async function requestRebuild(
  prisma: PrismaClient,
  queues: JobQueues,
  /** asOf: the reference time for overdue, expiry and compliance; now unless given (ops rebuilding a tenant as at its last load's day). */
  request: { tenantId: string; actor: string; asOf?: Date },
): Promise<RebuildTicket> {
  const asOf = (request.asOf ?? new Date()).toISOString();
  const outcome = await dbCall(() =>
    prisma.$transaction(async (tx) => {
      await lockBuilds(tx, request.tenantId);
      const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: request.tenantId } });
      const refusal = await rebuildRefusal(tx, tenant);
      if (refusal) throw refusal;
      const running = await latestBuildUnderWay(tx, tenant.id);
      if (!running) return { ticket: await recordRebuild(tx as unknown as PrismaClient, tenant, { actor: request.actor, asOf }), enqueue: true };
      const why = wouldNotBuildAsked(running, tenant, request.asOf);
      if (!why) return { ticket: await ticketOf(tx, running, tenant, true), enqueue: false };
      const follows = followedBuild(running);
      const ticket = await recordRebuild(tx as unknown as PrismaClient, tenant, {
        actor: request.actor,
        asOf,
        follows: running.id,
        reason: { reason: 'follows_build_under_way', follows: { ...follows }, why },
      });
      return { ticket: { ...ticket, follows }, enqueue: false };
    }),
  );
  // Queued once recorded: a flow the queue never takes is started by the worker's lost-flows sweep.
  if (outcome.enqueue) await queues.enqueueBuildFlow({ tenantId: request.tenantId, buildRunId: outcome.ticket.buildRunId, asOf });
  return outcome.ticket;
}

/** The per-tenant lock rebuild requests and the queuing of followers take turns on. */
async function lockBuilds(tx: Prisma.TransactionClient, tenantId: string): Promise<void> {
  await tx.$executeRaw`select pg_advisory_xact_lock(hashtext(${`builds:${tenantId}`}))`;
}

/**
 * Queues the flow of each rebuild that follows `ended` (see `requestRebuild`), once that run has
 * ended: called by whoever ends a build run (the worker, the lost-flows sweep). Once however many
 * call it: under the tenant's builds lock, a follower is taken by setting its `followerQueuedAt`.
 * A flow the queue does not take (Redis away) is started by the lost-flows sweep. Returns the ids of
 * the followers queued.
 */
export async function queueFollowers(prisma: PrismaClient, queues: JobQueues, ended: { buildRunId: string; tenantId: string }): Promise<string[]> {
  const followers = await dbCall(() =>
    prisma.$transaction(async (tx) => {
      await lockBuilds(tx, ended.tenantId);
      const run = await tx.buildRun.findUnique({ where: { id: ended.buildRunId }, select: { status: true } });
      if (!run || run.status === 'queued' || run.status === 'running') return [];
      const waiting = await tx.buildRun.findMany({ where: { followsBuildRunId: ended.buildRunId, status: 'queued', followerQueuedAt: null } });
      if (waiting.length > 0) await tx.buildRun.updateMany({ where: { id: { in: waiting.map((w) => w.id) }, followerQueuedAt: null }, data: { followerQueuedAt: new Date() } });
      return waiting;
    }),
  );
  for (const f of followers) await queues.enqueueBuildFlow({ tenantId: f.tenantId, buildRunId: f.id, asOf: (f.asOf ?? f.createdAt).toISOString() });
  return followers.map((f) => f.id);
}

/** Records a queued rebuild run and its audit event (`build.requested`); the caller has asked `rebuildRefusal` first, and queues its flow (unless it `follows` a run). */
async function recordRebuild(
  prisma: PrismaClient,
  tenant: { id: string; fiscalYearStartMonth: number },
  request: { actor: string; asOf: string; follows?: string; reason?: Record<string, unknown> },
): Promise<RebuildTicket> {
  const build = await StageRecorder.start(prisma, {
    tenantId: tenant.id,
    kind: 'rebuild',
    asOf: new Date(request.asOf),
    planned: [...BUILD_STAGE_NAMES],
    status: 'queued',
    ...(request.follows ? { followsBuildRunId: request.follows } : {}),
  });
  await prisma.auditEvent.create({
    data: {
      actor: request.actor,
      action: 'build.requested',
      tenantId: tenant.id,
      details: { buildRunId: build.runId, asOf: request.asOf, fiscalYearStartMonth: tenant.fiscalYearStartMonth, ...(request.reason ?? {}) },
    },
  });
  const { createdAt } = await prisma.buildRun.findUniqueOrThrow({ where: { id: build.runId }, select: { createdAt: true } });
  return { buildRunId: build.runId, asOf: request.asOf, queuedAt: createdAt.toISOString(), fiscalYearStartMonth: tenant.fiscalYearStartMonth };
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
      const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: request.tenantId } });
      const refusal = await rebuildRefusal(tx, tenant);
      if (refusal) throw refusal;
      const asOf = (request.asOf ?? new Date()).toISOString();
      // Its own run even beside an operator's rebuild under way: its job ids, attempts and record
      // (gold_rebuild, which the lost-flows sweep reads) are this release's.
      const ticket = await recordRebuild(tx as unknown as PrismaClient, tenant, {
        actor: 'worker',
        asOf,
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
      await queues.enqueueBuildFlow({ tenantId: tenant.id, buildRunId: ticket.buildRunId, asOf }, { idPrefix: jobIdPrefix, priority: REFRESH_ROLLUPS_PRIORITY });
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
