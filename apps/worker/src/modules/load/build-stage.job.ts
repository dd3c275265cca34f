import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { BUILD_STAGE_NAMES, buildStageJob, isTransientDatabaseError, queueFollowers, type JobPayload, type JobQueues } from '@kineo/jobs';
import { goldDataRows, recordPublishedRollups, StageRecorder, type Prisma, type StageRecord } from '@kineo/db';
import type { TableCount, TableVersions, Warehouse } from '@kineo/warehouse';
import { goldColumnsRecord, parseRollupManifest, publishedGoldColumns, ROLLUP_MANIFEST_QUERY, rollupModels } from '@kineo/analytics';
import { buildTenant, runChecks } from '@kineo/pipeline';
import { asDiskFull, rethrowDiskFull } from '../../engine/disk-full.util';
import type { JobContext } from '../../engine/job-handler.registry';
import { WorkerStoppingError } from '../../engine/worker-stopping.error';
import type { TenantJobDeps } from '../tenant/provision-tenant.job';

export type BuildStageJobData = JobPayload<typeof buildStageJob>;

export interface PublishedEvent {
  tenantId: string;
  version: number;
  asOf: string;
}

export interface BuildDeps extends TenantJobDeps {
  /** Tells readers (gateways) a new version is live. */
  announce: (event: PublishedEvent) => Promise<void>;
}

/** Published gold versions kept on disk, so readers still on an older one finish their queries. */
const KEEP_VERSIONS = 3;

/**
 * Queues the rebuilds that follow a build run the worker has just ended (`queueFollowers`). One the
 * queue does not take now is started by the lost-flows sweep, so this never fails the job.
 */
export async function queueFollowersOf(deps: { prisma: BuildDeps['prisma']; queues: JobQueues }, run: { buildRunId: string; tenantId: string }, log: Logger): Promise<void> {
  try {
    const queued = await queueFollowers(deps.prisma, deps.queues, run);
    if (queued.length > 0) log.info({ buildRunId: run.buildRunId, followers: queued }, 'queued the rebuild that followed this build');
  } catch (err) {
    log.warn({ buildRunId: run.buildRunId, err }, 'could not queue the rebuild that follows this build; the lost-flows sweep starts it');
  }
}

/**
 * One build stage (silver, hierarchy, gold, snapshots, publish) of a tenant's layers, as a step of a
 * load's flow. The build's fiscal-year start is the one its first stage fixed on the run (see
 * `StageRecorder.fixFiscalYearStart`), never the tenant's setting as each later stage finds it.
 */
export function buildStageHandler(deps: BuildDeps & { queues: JobQueues }) {
  return async (payload: BuildStageJobData, context: JobContext) => {
    const tenant = await deps.prisma.tenant.findUniqueOrThrow({ where: { id: payload.tenantId } });
    const ref = { tenantId: tenant.id, namespace: tenant.namespace };
    const asOf = new Date(payload.asOf);
    const build = await StageRecorder.resume(deps.prisma, payload.buildRunId);
    const lastAttempt = context.job.attemptsMade + 1 >= (context.job.opts.attempts ?? 1);
    try {
      if (payload.stage === 'publish') {
        const version = await build.stage('publish', () => publish(deps, build, ref, payload, context).catch(rethrowDiskFull), context.job.attemptsMade + 1);
        await build.finish({ status: 'succeeded', dataVersion: version });
        await queueFollowersOf(deps, { buildRunId: build.runId, tenantId: tenant.id }, context.log);
        return { stage: 'publish', version };
      }
      const stage = payload.stage;
      const fiscalYearStartMonth = await build.fixFiscalYearStart(tenant.fiscalYearStartMonth);
      const results = await build.stage(
        stage,
        async () => {
          const warnings: string[] = [];
          const out = await buildTenant(deps.warehouse, ref, {
            asOf,
            fiscalYearStartMonth,
            stages: [stage],
            // A retried stage then finds what its earlier attempt did (the history reset of a calendar change).
            buildId: build.runId,
            onWarning: (_stage, warning) => void warnings.push(warning),
            // Built in the same layers and stage order as gold, so the publish that follows covers them.
            models: rollupModels(deps.warehouse.dialect, asOf),
            onModel: (r) => {
              // Between models is where a stopping worker or a lost lock ends the stage; a retry builds it again.
              context.signal.throwIfAborted();
              context.stopping.throwIfAborted();
              void context.progress({ stage, model: r.model, rows: r.rows });
            },
          }).catch(rethrowDiskFull);
          // Still under the tenant's lock: the versions of gold this stage wrote, which publish pins
          // (a refresh may rewrite the working tables before then: see publish).
          const written = out[stage].filter((r) => r.model.startsWith('gold.')).map((r) => r.model.slice('gold.'.length));
          const goldVersions = written.length > 0 ? await deps.warehouse.tableVersions(ref, 'gold', written) : null;
          return { result: out[stage], details: { models: out[stage], ...(goldVersions ? { goldVersions } : {}) }, warnings };
        },
        context.job.attemptsMade + 1,
      );
      context.signal.throwIfAborted();
      if (payload.stage === BUILD_STAGE_NAMES[BUILD_STAGE_NAMES.length - 1]) {
        await build.finish({ status: 'succeeded' });
        await queueFollowersOf(deps, { buildRunId: build.runId, tenantId: tenant.id }, context.log);
      }
      return { stage: payload.stage, models: results.length };
    } catch (caught) {
      const diskFull = asDiskFull(caught);
      const error = diskFull ?? caught;
      // An unreachable Postgres is waited out by the worker (it spends no attempt), and could not record a failure anyway;
      // a stopping worker hands the job back: neither attempt is the build's failure.
      const final =
        !(error instanceof WorkerStoppingError) && (lastAttempt || diskFull || error instanceof UnrecoverableError) && !isTransientDatabaseError(error);
      if (final) {
        await build.fail(error);
        // The line Azure Monitor's failed-build alert counts (terraform/modules/platform/alerts.tf).
        context.log.error({ buildRunId: build.runId, stage: payload.stage, err: error }, 'build failed');
        await queueFollowersOf(deps, { buildRunId: build.runId, tenantId: tenant.id }, context.log);
      }
      if (diskFull) throw new UnrecoverableError(diskFull.message);
      throw error;
    }
  };
}

/**
 * Publishes the build only when every check passes: otherwise the previous version keeps serving
 * and the run says which checks failed. In three steps, so the warehouse never names a version
 * Postgres does not have: the snapshot is prepared (readable by number, not the latest), the
 * version is committed in Postgres (tenant, build run, audit event), then the warehouse's pointer
 * moves. Safe to retry at any point: a version recorded for this build is finished, not redone.
 */
async function publish(
  deps: BuildDeps,
  build: StageRecorder,
  ref: { tenantId: string; namespace: string },
  payload: BuildStageJobData,
  context: JobContext,
): Promise<{ result: number; details: Record<string, unknown> }> {
  await context.progress({ stage: 'publish', step: 'checks' });
  const checks = await deps.warehouse.session(ref, (session) => runChecks(session));
  const failed = checks.filter((c) => c.status === 'failed');
  await deps.prisma.buildRun.update({ where: { id: build.runId }, data: { checks: checks as unknown as Prisma.InputJsonValue } });
  if (failed.length > 0) {
    throw new UnrecoverableError(
      `${failed.length} check${failed.length === 1 ? '' : 's'} failed, so this build was not published and the previous version keeps serving: ` +
        failed.slice(0, 5).map((c) => `${c.check} on ${c.table}: ${c.detail}`).join('; '),
    );
  }
  const tenant = await deps.prisma.tenant.findUniqueOrThrow({ where: { id: payload.tenantId } });
  const recorded = await deps.prisma.buildRun.findUniqueOrThrow({ where: { id: build.runId }, select: { dataVersion: true } });
  // A retry after this build's version was recorded (Postgres went away, or the worker died, before
  // the end): finish publishing that version, never a second one.
  let version = recorded.dataVersion;
  const built = await builtGoldVersions(deps, build.runId);
  if (version === null) {
    version = tenant.dataVersion + 1;
    // Publishing is the one step readers see: never as a job that has lost its tenant's lock.
    context.signal.throwIfAborted();
    await context.progress({ stage: 'publish', step: 'snapshot', version });
    // Readable by number before Postgres names it, so a reader never follows Postgres to a missing
    // snapshot; preparing again (a retry whose record never committed) replaces the earlier attempt.
    // The warehouse already past this version: only a Databricks registry written by a release in
    // which preparing was publishing, after an attempt of this build whose record never committed.
    if (((await deps.warehouse.publishedVersion(ref)) ?? 0) < version) await deps.warehouse.prepareVersion(ref, version, built);
    context.signal.throwIfAborted();
    await commitVersion(deps, tenant.id, version, build.runId, { version, asOf: payload.asOf, buildRunId: build.runId, ingestionRunId: payload.ingestionRunId ?? null, checks: checks.length });
  }
  const pruned = await makeLatest(deps, ref, version, payload.asOf);
  // The published version's manifest and gold columns, recorded for the fleet's rollup column and
  // workers' start-up scans, spare gateways and workers opening the snapshot (each reads it itself
  // when the record is missing). Where the build pinned its own table versions, a refresh may have
  // rewritten the working manifest since: read the version's. Elsewhere the working gold is the
  // build's own, and no snapshot is opened.
  const readPublished = async (reader: Pick<Warehouse, 'queryPublished'>) => {
    const manifest = parseRollupManifest((await reader.queryPublished(ref, ROLLUP_MANIFEST_QUERY, [], { version })).rows);
    // Columns unread are read by the next start's scan: the manifest is recorded regardless.
    const columns = await publishedGoldColumns(reader, ref, version).then(
      (published) => goldColumnsRecord(published),
      (err: unknown) => void context.log.warn({ err, version }, "could not read the published version's gold columns; the next worker start reads them"),
    );
    return { manifest, columns };
  };
  await (built
    ? readPublished(deps.warehouse)
    : deps.warehouse.session(ref, (session) => readPublished({ queryPublished: async (_tenant, sql, params) => session.query(sql, params) })))
    .then(({ manifest, columns }) => recordPublishedRollups(deps.prisma, ref.tenantId, version, manifest, columns ?? undefined))
    .catch((err: unknown) => context.log.warn({ err, version }, "could not record the published version's rollup manifest; the fleet reads it from the snapshot"));
  // Kept with the run so ops see the published size per tenant without opening each warehouse.
  const gold = await publishedGoldCounts(deps, ref, version, built !== undefined);
  const goldRows = Object.fromEntries(gold.map((t) => [t.table, t.rows]));
  // The fleet's "Rows": the tenant's facts and dimensions, which move only with its data.
  const rows = goldDataRows(goldRows);
  return { result: version, details: { version, checks: checks.length, prunedVersions: pruned, rows, goldRows } };
}

/**
 * Rows per gold table of the version published. Where the build pinned its own table versions
 * (Databricks), a rollups refresh since its last stage may have left its rows in a working table
 * (a RESTORE that failed), so the tables are counted as the version pins them; elsewhere the working
 * gold is the build's own and is counted as it is, without opening the snapshot.
 */
async function publishedGoldCounts(deps: BuildDeps, ref: { tenantId: string; namespace: string }, version: number, pinned: boolean): Promise<TableCount[]> {
  const working = await deps.warehouse.tableCounts(ref, 'gold');
  if (!pinned || working.length === 0) return working;
  const sql = working.map((t) => `select ? as table_name, count(*) as row_count from gold.${t.table}`).join(' union all ');
  const published = await deps.warehouse.queryPublished(ref, sql, working.map((t) => t.table), { version });
  return published.rows.map((r) => ({ layer: 'gold' as const, table: String(r.table_name), rows: Number(r.row_count) })).sort((a, b) => a.table.localeCompare(b.table));
}

/**
 * The Delta versions of gold the build's stages recorded, a later stage's over an earlier's: what
 * its version pins, so a rollups refresh run between its last stage and its publish (whose RESTORE
 * of the working tables may have failed) cannot reach it. None on an engine without table versions
 * (DuckDB) or when the stages ran on a release that recorded none: then gold is pinned as it is.
 */
async function builtGoldVersions(deps: BuildDeps, buildRunId: string): Promise<TableVersions | undefined> {
  const run = await deps.prisma.buildRun.findUniqueOrThrow({ where: { id: buildRunId }, select: { stages: true } });
  const stages = (Array.isArray(run.stages) ? run.stages : []) as unknown as StageRecord[];
  const built: Record<string, number> = {};
  for (const name of BUILD_STAGE_NAMES) {
    const recorded = stages.find((s) => s.stage === name && s.status === 'succeeded')?.details?.goldVersions;
    if (recorded && typeof recorded === 'object') Object.assign(built, recorded);
  }
  return Object.keys(built).length > 0 ? built : undefined;
}

/**
 * The second half of a publish, once Postgres records `version`: the warehouse's pointer moves,
 * readers are told, old versions no reader holds are pruned (returned).
 */
export async function makeLatest(deps: BuildDeps, ref: { tenantId: string; namespace: string }, version: number, asOf: string): Promise<number[]> {
  // Postgres is the record readers follow; the warehouse's own pointer follows it and never leads it.
  if (((await deps.warehouse.publishedVersion(ref)) ?? 0) < version) await deps.warehouse.publish(ref, version);
  await deps.announce({ tenantId: ref.tenantId, version, asOf });
  return deps.warehouse.pruneSnapshots(ref, KEEP_VERSIONS);
}

/** The tenant's version moves only from the one this build was made on, with its build run and audit event. */
export async function commitVersion(deps: BuildDeps, tenantId: string, version: number, buildRunId: string, details: Record<string, unknown>): Promise<void> {
  await deps.prisma.$transaction(async (tx) => {
    const moved = await tx.tenant.updateMany({ where: { id: tenantId, dataVersion: version - 1 }, data: { dataVersion: version } });
    if (moved.count !== 1) throw new Error(`the tenant's published version is no longer ${version - 1}, so version ${version} of this build was not recorded`);
    await tx.buildRun.update({ where: { id: buildRunId }, data: { dataVersion: version } });
    await tx.auditEvent.create({ data: { actor: 'worker', action: 'data.published', tenantId, details: details as Prisma.InputJsonValue } });
    // Prisma's 5 s default would abandon a record that only waits on the tenant's row (an offboarding's update).
  }, { timeout: 60_000 });
}
