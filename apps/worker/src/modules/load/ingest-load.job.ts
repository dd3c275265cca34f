import path from 'node:path';
import { UnrecoverableError } from 'bullmq';
import type { LandingStore } from '@kineo/landing';
import { ingestLoadJob, isTransientDatabaseError, type JobPayload, type JobQueues } from '@kineo/jobs';
import { StageRecorder, type Prisma } from '@kineo/db';
import { DomainError, errorCode, TENANT_NOT_ACTIVE } from '@kineo/errors';
import { ingestFiles, LoadRejectedError } from '@kineo/pipeline';
import { asDiskFull, rethrowDiskFull } from '../../engine/disk-full.util';
import type { JobContext } from '../../engine/job-handler.registry';
import { WorkerStoppingError } from '../../engine/worker-stopping.error';
import type { TenantJobDeps } from '../tenant/provision-tenant.job';
import { queueFollowersOf } from './build-stage.job';

export type IngestLoadJobData = JobPayload<typeof ingestLoadJob>;

export interface IngestLoadDeps extends TenantJobDeps {
  /** KINEO_DATA_DIR: a load's files are in `landing/<namespace>/<ingestionRunId>/` under it. */
  dataDir: string;
  /** Where the gateway or CLI left the load's files (LANDING_STORE); fetched into the folder above when elsewhere. */
  landing: LandingStore;
  /** To queue a rebuild that followed the load's build, once the load fails. */
  queues: JobQueues;
}

/**
 * The first step of a load: the landed files into bronze. A load the contract refuses (missing
 * required file, empty file, wrong header) or that the disk has no room for fails at once without
 * retries and changes nothing (the reason says which);
 * anything else that fails is retried with backoff. Once the files are in bronze (every row is
 * there or in its quarantine, with its line) the load's landing folder is removed: a large export
 * is not kept twice. A failed load keeps its folder, for a retry and for whoever looks into it.
 * With a landing store elsewhere (Azure Blob Storage) the files are fetched into the worker's own
 * folder for DuckDB to read, and that copy goes after every attempt: the store keeps the originals.
 */
export function ingestLoadHandler(deps: IngestLoadDeps) {
  return async (payload: IngestLoadJobData, context: JobContext) => {
    const tenant = await deps.prisma.tenant.findUniqueOrThrow({ where: { id: payload.tenantId } });
    if (tenant.status !== 'active') {
      // Suspended (or offboarded) after the load was queued: it ends failed, saying why, rather than
      // staying "queued" for ever (a queued build is what a rebuild asked for later is answered with).
      const error = new DomainError(TENANT_NOT_ACTIVE, `${tenant.name} was ${tenant.status} before this load ran, so nothing of it was loaded: upload the files again once it is active.`);
      await recordFailure(deps, payload, await StageRecorder.resume(deps.prisma, payload.buildRunId), error);
      await queueFollowersOf(deps, { buildRunId: payload.buildRunId, tenantId: tenant.id }, context.log);
      throw new UnrecoverableError(error.message);
    }
    const ref = { tenantId: tenant.id, namespace: tenant.namespace };
    await deps.prisma.ingestionRun.update({
      where: { id: payload.ingestionRunId },
      data: { status: 'running', startedAt: new Date(), error: null, failureCode: null },
    });
    const build = await StageRecorder.resume(deps.prisma, payload.buildRunId);
    const lastAttempt = context.job.attemptsMade + 1 >= (context.job.opts.attempts ?? 1);
    try {
      const report = await build.stage(
        'ingest',
        async () => {
          const fetched = await deps.landing.fetchRun(tenant.namespace, payload.ingestionRunId, payload.files);
          // Read from where they landed, reported by the names the customer sent (fetchRun keeps the order).
          const files = fetched.map((f, i) => ({ path: f.path, name: payload.files[i]?.uploadedAs ?? f.name }));
          const r = await ingestFiles(deps.warehouse, ref, files, {
            batchId: payload.ingestionRunId,
            source: payload.source,
            onProgress: (p) => {
              // Before each file: a stopping worker or a lost lock ends the load here, and the
              // retry first removes what this attempt wrote (bronze's bookkeeping commit comes last).
              context.signal.throwIfAborted();
              context.stopping.throwIfAborted();
              void context.progress({ stage: 'ingest', ...p });
            },
          }).catch(rethrowDiskFull);
          return { result: r, details: { files: r.files.length, rowsRead: r.rowsRead, rowsLoaded: r.rowsLoaded, rowsQuarantined: r.rowsQuarantined } };
        },
        context.job.attemptsMade + 1,
      );
      // Files into bronze are one write; marking the load done is another: only as the tenant's writer.
      context.signal.throwIfAborted();
      await deps.prisma.ingestionRun.update({
        where: { id: payload.ingestionRunId },
        data: {
          status: 'succeeded',
          files: report.files as unknown as Prisma.InputJsonValue,
          rowsRead: report.rowsRead,
          rowsLoaded: report.rowsLoaded,
          rowsQuarantined: report.rowsQuarantined,
          finishedAt: new Date(),
        },
      });
      await removeLandedFiles(deps, tenant.namespace, payload, context);
      return { batchSeq: report.batchSeq, rowsRead: report.rowsRead, rowsLoaded: report.rowsLoaded, rowsQuarantined: report.rowsQuarantined };
    } catch (caught) {
      const diskFull = asDiskFull(caught);
      const error = diskFull ?? caught;
      const rejected = error instanceof LoadRejectedError;
      const message = error instanceof Error ? error.message : String(error);
      // An unreachable Postgres is waited out by the worker (it spends no attempt), and could not record a failure anyway;
      // a stopping worker hands the job back: that attempt is not the load's failure.
      if ((rejected || diskFull || (lastAttempt && !(error instanceof WorkerStoppingError))) && !isTransientDatabaseError(error)) {
        await recordFailure(deps, payload, build, error);
        await queueFollowersOf(deps, { buildRunId: payload.buildRunId, tenantId: tenant.id }, context.log);
      }
      if (rejected || diskFull) throw new UnrecoverableError(message);
      throw error;
    } finally {
      await deps.landing.releaseLocalCopy(tenant.namespace, payload.ingestionRunId).catch((err: unknown) => {
        context.log.warn({ ingestionRunId: payload.ingestionRunId, err }, "could not remove the load's fetched copy");
      });
    }
  };
}

/** Ends the load and its build failed, with the error's message and code (what the load's report shows). */
async function recordFailure(deps: IngestLoadDeps, payload: IngestLoadJobData, build: StageRecorder, error: unknown): Promise<void> {
  await deps.prisma.ingestionRun.update({
    where: { id: payload.ingestionRunId },
    data: { status: 'failed', error: error instanceof Error ? error.message : String(error), failureCode: errorCode(error), finishedAt: new Date() },
  });
  await build.fail(error);
}

/** Removes the load's own landing folder, and only that: every file of the load must be in it. */
async function removeLandedFiles(deps: IngestLoadDeps, namespace: string, payload: IngestLoadJobData, context: JobContext): Promise<void> {
  const folder = path.resolve(deps.dataDir, 'landing', namespace, payload.ingestionRunId);
  const inFolder = payload.files.every((f) => path.dirname(path.resolve(f.path)) === folder);
  // In a store elsewhere the run is a prefix of its own, whatever paths the sender had.
  if (!inFolder && deps.landing.kind === 'local') {
    context.log.warn({ ingestionRunId: payload.ingestionRunId }, 'load files are not all in the load\'s landing folder; left in place');
    return;
  }
  try {
    await deps.landing.removeRun(namespace, payload.ingestionRunId);
  } catch (error) {
    // The load has succeeded; a folder left behind costs disk, not data.
    context.log.warn({ ingestionRunId: payload.ingestionRunId, err: error }, 'could not remove the load\'s landing folder');
  }
}
