import { UnrecoverableError } from 'bullmq';
import { isTransientDatabaseError, REFRESH_ROLLUPS_STAGES, refreshRollupsJob, type JobPayload } from '@kineo/jobs';
import { recordPublishedRollups, StageRecorder, type Prisma, type PrismaClient } from '@kineo/db';
import { goldColumnsRead, goldColumnsRecord, missingGoldColumns, publishedGoldColumns, publishedRollups, rollupRefreshStatements, type PublishedRollups, type RollupManifestEntry } from '@kineo/analytics';
import { asDiskFull, rethrowDiskFull } from '../../engine/disk-full.util';
import type { JobContext } from '../../engine/job-handler.registry';
import { WorkerStoppingError } from '../../engine/worker-stopping.error';
import { commitVersion, makeLatest, type BuildDeps } from '../load/build-stage.job';

export type RefreshRollupsJobData = JobPayload<typeof refreshRollupsJob>;

/**
 * The as_of a version was built at, which its refreshed rollups must share with its gold (overdue,
 * expiring and compliance are as at that day): the run that published it says, else its manifest.
 */
async function asOfOf(prisma: PrismaClient, tenantId: string, state: PublishedRollups): Promise<string> {
  const run = await prisma.buildRun.findFirst({ where: { tenantId, dataVersion: state.version, asOf: { not: null } }, select: { asOf: true } });
  if (run?.asOf) return run.asOf.toISOString();
  const key = state.manifest[0]?.asOfKey;
  if (key) return new Date(Date.UTC(Math.floor(key / 10000), Math.floor(key / 100) % 100 - 1, key % 100)).toISOString();
  throw new UnrecoverableError(`Version ${state.version} records no as_of (no build run, no rollup manifest), so its rollups cannot be refreshed; rebuild the tenant instead.`);
}

/**
 * Builds the rollups a tenant's published version lacks (or holds from an older definition) on that
 * version's gold (a copy of its snapshot on DuckDB, its pinned Delta versions on Databricks), and
 * publishes the result as the next version the way a build does: prepared (deriveVersion), recorded
 * in Postgres with its build run and audit event, then made the latest and announced. Nothing
 * stale: nothing is built or published. Runs under the tenant's lock like every tenant job, so
 * never beside a load's stage; the working layers end as they were (on Databricks the tables it
 * rewrote are restored), so a build with stages still to run publishes its own gold.
 */
export function refreshRollupsHandler(deps: BuildDeps) {
  return async (payload: RefreshRollupsJobData, context: JobContext) => {
    const tenant = await deps.prisma.tenant.findUniqueOrThrow({ where: { id: payload.tenantId } });
    const ref = { tenantId: tenant.id, namespace: tenant.namespace };
    // A retry of a run that recorded its version: finish publishing that one, never derive another.
    const recorded = payload.buildRunId
      ? await deps.prisma.buildRun.findUniqueOrThrow({ where: { id: payload.buildRunId } })
      : await deps.prisma.buildRun.findFirst({ where: { tenantId: tenant.id, kind: 'rollups', status: 'running' }, orderBy: { createdAt: 'desc' } });
    // A run that already ended (its job finished after the sweep queued it again, taking it for
    // lost) keeps its record: this job has nothing left to do.
    if (payload.buildRunId && recorded && recorded.status !== 'queued' && recorded.status !== 'running') {
      context.log.info({ buildRunId: recorded.id, status: recorded.status }, 'rollups refresh: its run already ended; nothing to do');
      return { refreshed: false, version: tenant.dataVersion, reason: `run ${recorded.id} already ${recorded.status}` };
    }
    if (recorded?.dataVersion !== null && recorded?.dataVersion !== undefined && recorded.status === 'running') {
      const build = await StageRecorder.resume(deps.prisma, recorded.id);
      const asOf = recorded.asOf?.toISOString() ?? new Date().toISOString();
      await build.stage('publish', async () => ({ result: null, details: { version: recorded.dataVersion, prunedVersions: await makeLatest(deps, ref, recorded.dataVersion!, asOf) } }));
      await build.finish({ status: 'succeeded', dataVersion: recorded.dataVersion });
      return { refreshed: true, version: recorded.dataVersion };
    }
    const nothing = async (reason: string) => {
      if (recorded) {
        const build = await StageRecorder.resume(deps.prisma, recorded.id);
        await build.stage('rollups', async () => ({ result: null, details: { stale: [], reason } }));
        await build.finish({ status: 'succeeded' });
      }
      context.log.info({ reason }, 'rollups refresh: nothing to do');
      return { refreshed: false, version: tenant.dataVersion, reason };
    };
    if (tenant.status !== 'active') return nothing(`the tenant is ${tenant.status}`);
    if (tenant.dataVersion < 1) return nothing('nothing is published');

    const from = tenant.dataVersion;
    const state = await publishedRollups(deps.warehouse, ref, from);
    if (state.stale.length === 0) return nothing(`version ${from} holds every rollup as this release defines it`);

    const asOf = await asOfOf(deps.prisma, tenant.id, state);
    const build = recorded
      ? await StageRecorder.resume(deps.prisma, recorded.id)
      : await StageRecorder.start(deps.prisma, { tenantId: tenant.id, kind: 'rollups', asOf: new Date(asOf), planned: [...REFRESH_ROLLUPS_STAGES] });
    // A run the start-up scan's job recorded keeps that job's id (not derived from the run), so the
    // worker's sweep can tell whether the queue still holds it (recoverLostFlows).
    await deps.prisma.buildRun.update({ where: { id: build.runId }, data: { asOf: new Date(asOf), ...(payload.buildRunId ? {} : { jobId: context.job.id }) } });
    const lastAttempt = context.job.attemptsMade + 1 >= (context.job.opts.attempts ?? 1);
    const version = from + 1;
    let published: RollupManifestEntry[] = [];
    let goldColumns: ReturnType<typeof goldColumnsRecord> | undefined;
    try {
      await build.stage(
        'rollups',
        async () => {
          context.signal.throwIfAborted();
          // The refresh copies the version's gold, so it cannot add a column an earlier release did not build.
          const columns = await publishedGoldColumns(deps.warehouse, ref, from);
          // The derived version's gold besides its rollups is this one's: recorded with it at publish.
          goldColumns = goldColumnsRecord(columns);
          const missing = missingGoldColumns(goldColumnsRead(), columns);
          if (missing.length > 0) {
            throw new UnrecoverableError(
              `Version ${from} lacks gold columns this release reads (${missing.join(', ')}), which a rollups refresh cannot add: rebuild the tenant from bronze (kineo tenant rebuild; a worker's start queues it).`,
            );
          }
          await context.progress({ stage: 'rollups', from, version, rollups: state.stale });
          const derived = await deps.warehouse.deriveVersion(ref, from, version, rollupRefreshStatements(deps.warehouse.dialect, asOf, state.stale)).catch(rethrowDiskFull);
          // The version is right either way, and a build pins the tables its own stages wrote; but a
          // working table left with the refresh's rows is for operators to see (until the next build rewrites it).
          const warnings = derived.unrestored.map(
            (u) => `gold.${u.table} was not put back to Delta version ${u.version} after the refresh (tried twice) and keeps the refresh's rows until the next build: ${u.error}`,
          );
          for (const u of derived.unrestored) {
            context.log.warn({ tenantId: tenant.id, namespace: tenant.namespace, table: `gold.${u.table}`, deltaVersion: u.version, error: u.error }, 'rollups refresh: a working table was not restored');
          }
          return { result: null, details: { from, version, rollups: state.stale, ...(derived.unrestored.length > 0 ? { unrestored: derived.unrestored } : {}) }, warnings };
        },
        context.job.attemptsMade + 1,
      );
      const pruned = await build.stage(
        'publish',
        async () => {
          // The derived version is published only if it now holds every rollup as this release defines it.
          const after = await publishedRollups(deps.warehouse, ref, version);
          published = after.manifest;
          if (after.stale.length > 0) throw new UnrecoverableError(`Version ${version} still lacks ${after.stale.join(', ')} after the refresh, so it was not published.`);
          // Gold is the published version's own, byte for byte: its build's checks still hold and are recorded with this run.
          const source = await deps.prisma.buildRun.findFirst({ where: { tenantId: tenant.id, dataVersion: from }, select: { checks: true } });
          const checks = [...((source?.checks as unknown[] | null) ?? []), ...after.manifest.map((e) => ({ check: 'rollup_current', table: `gold.${e.table}`, status: 'passed', detail: `${e.rollup}: ${e.rows} rows` }))];
          await deps.prisma.buildRun.update({ where: { id: build.runId }, data: { checks: checks as unknown as Prisma.InputJsonValue } });
          context.signal.throwIfAborted();
          await commitVersion(deps, tenant.id, version, build.runId, { version, from, asOf, buildRunId: build.runId, kind: 'rollups', rollups: state.stale, requestedBy: payload.requestedBy });
          return { result: await makeLatest(deps, ref, version, asOf), details: { version, from } };
        },
        context.job.attemptsMade + 1,
      );
      await build.finish({ status: 'succeeded', dataVersion: version });
      // For the fleet's rollup column (read above, before publishing).
      await recordPublishedRollups(deps.prisma, tenant.id, version, published, goldColumns);
      context.log.info({ from, version, rollups: state.stale, prunedVersions: pruned }, 'rollups refreshed and published');
      return { refreshed: true, version, rollups: state.stale };
    } catch (caught) {
      const diskFull = asDiskFull(caught);
      const error = diskFull ?? caught;
      const final = !(error instanceof WorkerStoppingError) && (lastAttempt || diskFull || error instanceof UnrecoverableError) && !isTransientDatabaseError(error);
      if (final) {
        await build.fail(error);
        context.log.error({ buildRunId: build.runId, err: error }, 'rollups refresh failed');
      }
      if (diskFull) throw new UnrecoverableError(diskFull.message);
      throw error;
    }
  };
}
