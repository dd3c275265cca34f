import fs from 'node:fs/promises';
import type { PrismaClient } from '@kineo/db';
import { assertFilesWithinUploadLimit, assertRowsWithinLimit, uploadLimitOf } from '@kineo/db';
import { LOAD_FLOW_LOST } from '@kineo/errors';
import { countCsvRows, type MeasuredFile } from './row-count.util';
import { BUILD_STAGE_NAMES, buildStageJob, ingestLoadJob, REFRESH_ROLLUPS_PRIORITY, refreshRollupsJob, type LOAD_SOURCES, type QueueName } from './definitions';
import type { JobQueues } from './queues';
import { anyJobExists, missingWorkVerdict, withTimeout } from './queue-probe.util';
import { queueFollowers, queueRollupRefresh } from './tenant-operations';

export interface LoadRequest {
  tenantId: string;
  /** Made by the caller, who has already put the files in `<landing>/<namespace>/<ingestionRunId>/`. */
  ingestionRunId: string;
  /**
   * `measured`: the file's bytes and rows, for a file not on this disk (a blob in the landing
   * store, counted while it was read there); any other file is measured at `path`.
   */
  files: { path: string; name: string; measured?: MeasuredFile; uploadedAs?: string }[];
  source: (typeof LOAD_SOURCES)[number];
  requestedBy: string;
  /** The build's reference time; the load time when not given. */
  asOf?: Date;
}

export interface LoadTicket {
  ingestionRunId: string;
  buildRunId: string;
  asOf: string;
  jobIds: Record<string, string>;
}

export const LOAD_STAGES = ['ingest', ...BUILD_STAGE_NAMES] as const;

/** How long a request waits for the queue to accept a load before leaving it to the worker's sweep. */
export const DEFAULT_ENQUEUE_TIMEOUT_MS = 5_000;

/**
 * Records a load (IngestionRun, BuildRun with its stages pending, audit event) in one transaction,
 * then starts its flow. A load with more rows than the plan allows is refused (PLAN_LIMIT), and one
 * with a file over the plan's upload limit (capped by `uploadCeilingBytes`, UPLOAD_MAX_BYTES) is
 * refused (UPLOAD_TOO_LARGE), before anything is recorded: the CLI and landing drops pass no HTTP
 * limit on their way here. The record is the promise: once it is committed the load is not lost. A
 * queue that does not accept the flow in time (Redis down: BullMQ would wait for ever) leaves the
 * run with no `enqueuedAt`, and `enqueuePendingLoads` (the worker's sweep) starts it later; the
 * flow's job ids are fixed, so starting it twice is harmless.
 */
export async function requestLoad(
  prisma: PrismaClient,
  queues: JobQueues,
  request: LoadRequest,
  options: { enqueueTimeoutMs?: number; uploadCeilingBytes?: number } = {},
): Promise<LoadTicket & { enqueued: boolean }> {
  const sizes = await Promise.all(request.files.map(async (f) => ({ name: f.name, bytes: f.measured?.bytes ?? (await fs.stat(f.path)).size })));
  assertFilesWithinUploadLimit(await uploadLimitOf(prisma, request.tenantId, options.uploadCeilingBytes ?? Number.POSITIVE_INFINITY), sizes);
  let rows = 0;
  for (const file of request.files) rows += file.measured?.rows ?? (await countCsvRows(file.path));
  await assertRowsWithinLimit(prisma, request.tenantId, rows);
  const files = request.files.map(({ name, path, uploadedAs }) => ({ name, path, ...(uploadedAs ? { uploadedAs } : {}) }));
  const asOf = (request.asOf ?? new Date()).toISOString();
  const buildRunId = await prisma.$transaction(async (tx) => {
    await tx.ingestionRun.create({
      data: {
        id: request.ingestionRunId,
        tenantId: request.tenantId,
        status: 'queued',
        source: request.source,
        requestedBy: request.requestedBy,
        files: files.map(recordedFile),
      },
    });
    const build = await tx.buildRun.create({
      data: {
        tenantId: request.tenantId,
        kind: 'load',
        ingestionRunId: request.ingestionRunId,
        asOf: new Date(asOf),
        status: 'queued',
        stages: LOAD_STAGES.map((stage) => ({ stage, status: 'pending' })),
      },
    });
    await tx.auditEvent.create({
      data: {
        actor: request.requestedBy,
        action: 'load.requested',
        tenantId: request.tenantId,
        details: { ingestionRunId: request.ingestionRunId, source: request.source, files: files.map((f) => recordedFile(f).file), asOf },
      },
    });
    return build.id;
  });
  const flow = { tenantId: request.tenantId, ingestionRunId: request.ingestionRunId, buildRunId, files, source: request.source, asOf };
  const enqueued = await enqueueRecorded(prisma, queues, flow, options.enqueueTimeoutMs ?? DEFAULT_ENQUEUE_TIMEOUT_MS);
  return { ingestionRunId: request.ingestionRunId, buildRunId, asOf, jobIds: loadJobIds(request.ingestionRunId), enqueued };
}

/**
 * Starts every recorded load the queue never accepted (still queued, no `enqueuedAt`): what a
 * request left behind when Redis was down. Returns the ids of the loads it started.
 */
export async function enqueuePendingLoads(
  prisma: PrismaClient,
  queues: JobQueues,
  options: { enqueueTimeoutMs?: number } = {},
): Promise<string[]> {
  const pending = await prisma.ingestionRun.findMany({
    where: { enqueuedAt: null, status: 'queued' },
    include: { buildRuns: { where: { kind: 'load' }, select: { id: true, asOf: true } } },
    orderBy: { createdAt: 'asc' },
    take: 100,
  });
  const started: string[] = [];
  for (const run of pending) {
    const build = run.buildRuns[0];
    const flow = build ? loadFlowOf(run, build) : undefined;
    if (!flow) continue;
    if (await enqueueRecorded(prisma, queues, flow, options.enqueueTimeoutMs ?? DEFAULT_ENQUEUE_TIMEOUT_MS)) started.push(run.id);
  }
  return started;
}

/** A load, rebuild or rollups refresh whose flow the queue had accepted and then lost, started again by `recoverLostFlows`. */
export interface RecoveredFlow {
  kind: 'load' | 'rebuild' | 'rollups';
  tenantId: string;
  buildRunId: string;
  /** A load's. */
  ingestionRunId?: string;
  /** When a sweep first found none of its jobs in the queue. */
  missingSince: string;
  /** The first step started again: `ingest`, the first build stage (a rebuild; a load bronze already holds), or `rollups` (a refresh). */
  restartedFrom: string;
  /** A rebuild that follows a run (see `requestRebuild`): that run, which had ended. */
  follows?: string;
}

/** What one recovery sweep did; `unreachable` when Redis did not answer, so it recovered nothing more. */
export interface LostFlowsSweep {
  recovered: RecoveredFlow[];
  /** Build runs seen without their jobs for the first time, or still within the grace. */
  waiting: string[];
  unreachable?: string;
}

type UnfinishedRun = Awaited<ReturnType<typeof unfinishedRuns>>[number];

/**
 * Starts again the flow of each load (and rebuild) the queue accepted and then lost: Redis came back
 * without its data (restarted without persistence, an empty replica promoted, flushed), so the run
 * stays queued or running in Postgres with none of its jobs (`loadJobIds`; a rebuild's
 * `<prefix>-<stage>`) in BullMQ in any state. A handler may still be running it, its tenant lock
 * gone with the data: the lock's renewal then aborts it within one lock lifetime, so a run is only
 * started again once its jobs have been missing for `graceMs` (the worker gives twice that lifetime:
 * the aborted handler also has to reach its next check), counted from the first sweep that found
 * them missing, by Postgres's clock and recorded in Postgres (`build_run.flow_missing_since`),
 * since the data loss itself may wipe anything kept in Redis. A run whose jobs are found again is
 * forgotten. Only runs of active tenants: a suspended tenant's are recovered once it is resumed.
 *
 * A rollups refresh (a run of kind `rollups`) is looked for under `<run>-rollups`, the id ops'
 * request gives it, and under the job id the run records when the start-up scan queued it, and is
 * queued again through `queueRollupRefresh` under `<run>-rollups` with the run's id, so the handler
 * carries on with that run (finishing the publish of a version it had recorded, or refreshing again
 * on a fresh copy of the published gold).
 *
 * A load's flow is enqueued through `enqueueLoadFlow`, as the first time; a load whose ingest has
 * succeeded (bronze holds it; its landing folder is gone) starts again from the build stages, with
 * the same job ids, since ingesting it again would record the batch twice. A rebuild's goes through
 * `enqueueBuildFlow` under its own job ids (a gold rebuild's `gold-...` prefix, behind loads). Build
 * stages rebuild from bronze and publish finishes a version already recorded, so stages that had
 * succeeded are run again rather than skipped. Each recovery is audited (`load.recovered`,
 * `build.recovered`) once, whatever the number of sweeps running: a sweep takes a run by clearing
 * the `flow_missing_since` it saw.
 *
 * A rebuild that follows another run (`requestRebuild`) has no jobs until that run ends: it is left
 * alone while that run is unfinished, and once it has ended is started like any lost rebuild after
 * the grace, when nothing queued it (the worker that ended the run stopped before `queueFollowers`).
 * Its stages build with the fiscal-year start its run recorded, if one had started, like any restart.
 */
export async function recoverLostFlows(
  prisma: PrismaClient,
  queues: JobQueues,
  options: { graceMs: number; enqueueTimeoutMs?: number },
): Promise<LostFlowsSweep> {
  const timeoutMs = options.enqueueTimeoutMs ?? DEFAULT_ENQUEUE_TIMEOUT_MS;
  const unfinished = await unfinishedRuns(prisma);
  const sweep: LostFlowsSweep = { recovered: [], waiting: [] };
  if (unfinished.length === 0) return sweep;
  const goldRebuilds = new Map(
    (await prisma.goldRebuild.findMany({ where: { buildRunId: { in: unfinished.map((b) => b.id) } } })).map((g) => [g.buildRunId, g]),
  );
  // A rebuild that follows a run is queued when that run ends: never while it is unfinished.
  const followed = unfinished.flatMap((b) => (b.followsBuildRunId ? [b.followsBuildRunId] : []));
  const unfinishedFollowed = new Set(
    followed.length === 0
      ? []
      : (await prisma.buildRun.findMany({ where: { id: { in: followed }, status: { in: ['queued', 'running'] } }, select: { id: true } })).map((r) => r.id),
  );
  // One clock for every process sweeping: a worker's own may be off.
  const [{ now }] = await prisma.$queryRaw<{ now: Date }[]>`select now() as now`;
  for (const build of unfinished) {
    if (build.followsBuildRunId && unfinishedFollowed.has(build.followsBuildRunId)) continue;
    const gold = goldRebuilds.get(build.id);
    const plan = restartPlan(prisma, build, gold ? { prefix: `gold-${gold.tenantId}-v${gold.fromVersion}-${gold.releaseKey}`, priority: REFRESH_ROLLUPS_PRIORITY } : undefined);
    const found = await missingWorkVerdict({ missingSince: build.flowMissingSince, present: () => anyJobExists(queues, plan.jobs) }, { now, graceMs: options.graceMs, timeoutMs }, {
      mark: (seen, to) => prisma.buildRun.updateMany({ where: { id: build.id, flowMissingSince: seen }, data: { flowMissingSince: to } }),
      // Taken by this sweep alone, and only while still unfinished.
      take: async (seen) =>
        (
          await prisma.buildRun.updateMany({
            where: { id: build.id, flowMissingSince: seen, status: { in: ['queued', 'running'] } },
            // A follower started here is not queued again by a worker ending the run it follows late.
            data: { flowMissingSince: null, ...(build.followsBuildRunId && !build.followerQueuedAt ? { followerQueuedAt: now } : {}) },
          })
        ).count === 1,
    });
    if (found.verdict === 'unreachable') {
      sweep.unreachable = found.error;
      return sweep;
    }
    if (found.verdict === 'waiting') sweep.waiting.push(build.id);
    if (found.verdict !== 'taken') continue;
    const missingSince = found.missingSince;
    if (!plan.start) {
      await failUnrecoverable(prisma, build.id, build.ingestionRunId, "its flow was lost from the queue and the run does not record where its files were landed, so it cannot be started again: upload the files again");
      // A rebuild waiting for it is queued now (or by a later sweep, if the queue does not take it).
      await withTimeout(queueFollowers(prisma, queues, { buildRunId: build.id, tenantId: build.tenantId }), timeoutMs).catch(() => undefined);
      continue;
    }
    try {
      await withTimeout(plan.start(queues), timeoutMs);
    } catch (error) {
      // Left as it was found, so the next sweep tries again without a second grace.
      await prisma.buildRun.updateMany({ where: { id: build.id, flowMissingSince: null }, data: { flowMissingSince: missingSince } });
      sweep.unreachable = error instanceof Error ? error.message : String(error);
      return sweep;
    }
    const recovered: RecoveredFlow = {
      kind: build.kind === 'load' || build.kind === 'rollups' ? build.kind : 'rebuild',
      tenantId: build.tenantId,
      buildRunId: build.id,
      ...(build.ingestionRunId ? { ingestionRunId: build.ingestionRunId } : {}),
      missingSince: missingSince.toISOString(),
      restartedFrom: plan.restartedFrom,
      ...(build.followsBuildRunId ? { follows: build.followsBuildRunId } : {}),
    };
    const { kind: _kind, tenantId: _tenantId, ...details } = recovered;
    await prisma.auditEvent.create({
      data: {
        actor: 'worker',
        action: recovered.kind === 'load' ? 'load.recovered' : 'build.recovered',
        tenantId: build.tenantId,
        details: {
          ...details,
          reason:
            build.followsBuildRunId && !build.followerQueuedAt
              ? `it follows run ${build.followsBuildRunId}, which has ended, and nothing queued it for ${Math.round(options.graceMs / 1000)} s or more (the worker that ended that run stopped first?)`
              : `none of its jobs were in the queue for ${Math.round(options.graceMs / 1000)} s or more (Redis lost its data?), and it was not finished`,
        },
      },
    });
    sweep.recovered.push(recovered);
  }
  return sweep;
}

/** Unfinished loads the queue had accepted, and unfinished rebuilds and rollups refreshes (each enqueued as it is recorded), of active tenants. */
function unfinishedRuns(prisma: PrismaClient) {
  return prisma.buildRun.findMany({
    where: {
      status: { in: ['queued', 'running'] },
      tenant: { status: 'active' },
      OR: [{ kind: 'load', ingestionRun: { enqueuedAt: { not: null } } }, { kind: 'rebuild' }, { kind: 'rollups' }],
    },
    include: { ingestionRun: true },
    orderBy: { createdAt: 'asc' },
    take: 100,
  });
}

/**
 * A run's job ids and how to enqueue its flow again; no `start` for a load that cannot be (its
 * files' landed paths not recorded). `gold`: a gold rebuild's job-id prefix and priority.
 */
function restartPlan(
  prisma: PrismaClient,
  build: UnfinishedRun,
  gold?: { prefix: string; priority: number },
): { jobs: { queue: QueueName; id: string }[]; restartedFrom: string; start?: (queues: JobQueues) => Promise<unknown> } {
  const asOf = (build.asOf ?? build.createdAt).toISOString();
  if (build.kind === 'rollups') {
    const jobId = `${build.id}-rollups`;
    return {
      jobs: [jobId, ...(build.jobId && build.jobId !== jobId ? [build.jobId] : [])].map((id) => ({ queue: refreshRollupsJob.queue, id })),
      restartedFrom: 'rollups',
      start: async (queues) => {
        // Whoever asked stays the one the published version's audit event names.
        const asked = await prisma.auditEvent.findFirst({
          where: { tenantId: build.tenantId, action: 'rollups.refresh_requested', details: { path: ['buildRunId'], equals: build.id } },
          select: { actor: true },
        });
        return queueRollupRefresh(queues, { tenantId: build.tenantId, buildRunId: build.id, requestedBy: asked?.actor ?? 'worker', jobId });
      },
    };
  }
  const run = build.kind === 'load' ? build.ingestionRun : null;
  if (!run) {
    const prefix = gold?.prefix ?? build.id;
    return {
      jobs: BUILD_STAGE_NAMES.map((stage) => ({ queue: buildStageJob.queue, id: `${prefix}-${stage}` })),
      restartedFrom: BUILD_STAGE_NAMES[0],
      start: (queues) => queues.enqueueBuildFlow({ tenantId: build.tenantId, buildRunId: build.id, asOf }, { idPrefix: prefix, priority: gold?.priority }),
    };
  }
  const jobs = Object.entries(loadJobIds(run.id)).map(([stage, id]) => ({ queue: stage === 'ingest' ? ingestLoadJob.queue : buildStageJob.queue, id }));
  // Once ingested, the run's files are its per-file report: their landed paths are gone with the folder.
  if (run.status === 'succeeded') {
    return {
      jobs,
      restartedFrom: BUILD_STAGE_NAMES[0],
      start: (queues) => queues.enqueueBuildFlow({ tenantId: build.tenantId, buildRunId: build.id, ingestionRunId: run.id, asOf }, { idPrefix: run.id }),
    };
  }
  const flow = loadFlowOf(run, build);
  return { jobs, restartedFrom: 'ingest', start: flow ? (queues) => queues.enqueueLoadFlow(flow) : undefined };
}

export function loadJobIds(ingestionRunId: string): Record<string, string> {
  return Object.fromEntries(LOAD_STAGES.map((s) => [s, `${ingestionRunId}-${s}`]));
}

/** A file as a load's record lists it until it is read: by the name the customer knows, and where it landed (under `landedAs` when that differs). */
type RecordedFile = {
  file: string;
  path?: string;
  landedAs?: string;
};

function recordedFile(f: { name: string; path: string; uploadedAs?: string }): RecordedFile {
  return f.uploadedAs ? { file: f.uploadedAs, path: f.path, landedAs: f.name } : { file: f.name, path: f.path };
}

/** The flow a recorded load was (or is to be) enqueued with; none for a run without its files' landed paths. */
function loadFlowOf(
  run: { id: string; tenantId: string; files: unknown; source: string; createdAt: Date },
  build: { id: string; asOf: Date | null },
): Parameters<JobQueues['enqueueLoadFlow']>[0] | undefined {
  const files = (run.files as RecordedFile[]).filter((f): f is RecordedFile & { path: string } => typeof f.path === 'string');
  if (files.length === 0) return undefined;
  return {
    tenantId: run.tenantId,
    ingestionRunId: run.id,
    buildRunId: build.id,
    files: files.map((f) => (f.landedAs ? { name: f.landedAs, path: f.path, uploadedAs: f.file } : { name: f.file, path: f.path })),
    source: run.source as LoadRequest['source'],
    asOf: (build.asOf ?? run.createdAt).toISOString(),
  };
}

/** Ends a lost load that cannot be started again as failed, with the reason, so it is not left running. */
async function failUnrecoverable(prisma: PrismaClient, buildRunId: string, ingestionRunId: string | null, reason: string): Promise<void> {
  const finished = { status: 'failed' as const, error: `The load failed: ${reason}.`, failureCode: LOAD_FLOW_LOST, finishedAt: new Date() };
  await prisma.$transaction([
    prisma.buildRun.update({ where: { id: buildRunId }, data: finished }),
    ...(ingestionRunId ? [prisma.ingestionRun.update({ where: { id: ingestionRunId }, data: finished })] : []),
  ]);
}

/** Hands a recorded load to the queue within `timeoutMs`, and marks it accepted; false when the queue did not answer. */
async function enqueueRecorded(
  prisma: PrismaClient,
  queues: JobQueues,
  flow: Parameters<JobQueues['enqueueLoadFlow']>[0],
  timeoutMs: number,
): Promise<boolean> {
  const accepted = await withTimeout(queues.enqueueLoadFlow(flow), timeoutMs).then(
    () => true,
    () => false,
  );
  if (accepted) await prisma.ingestionRun.update({ where: { id: flow.ingestionRunId }, data: { enqueuedAt: new Date() } });
  return accepted;
}
