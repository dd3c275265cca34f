import path from 'node:path';
import { QueueEvents } from 'bullmq';
import pino from 'pino';
import { compileQuery, dashboardQueries, parseRollupManifest, ROLLUP_MANIFEST_QUERY, staleRollups } from '@kineo/analytics';
import { FileSecretStore } from '@kineo/config';
import { createPrismaClient, goldDataRows, publishedRollupsOf, type PrismaClient } from '@kineo/db';
import { bullConnection, JOB_DEFINITIONS, JobQueues, QUEUE_PREFIX } from '@kineo/jobs';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { DatabricksWarehouse } from '@kineo/warehouse';
import { startDatabricksTestServer } from '@kineo/warehouse/test/databricks-server';
import { buildRegistry, JobHandlerRegistry, startWorker } from '../src';
import { dropAndLoad, provisionedTenantWithWorker } from '../test/support/tenant-worker';
import { VALID_LOAD_FILES } from '../test/support/valid-load';

// A rollups refresh that runs between a Databricks build's last stage and its publish, whose RESTORE
// of the working tables fails (statements failed on purpose by the local Databricks server): the
// build still publishes its own rollups, pinned to its own Delta versions.

const log = pino({ level: 'silent' });
const files = VALID_LOAD_FILES;

describe('a Databricks build and a rollups refresh between its stages', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let queues: JobQueues;
  let secrets: FileSecretStore;
  const announce = async () => undefined;
  const harness = () => ({ stack, prisma, queues, secrets, announce, log });

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl);
    queues = new JobQueues(stack.redisUrl);
    secrets = new FileSecretStore(path.join(stack.env.KINEO_DATA_DIR, 'secrets'));
  });

  afterAll(async () => {
    await queues?.close();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it("publishes a Databricks build's own rollups when a refresh ran between its last stage and its publish and could not put the working tables back", async () => {
    const server = await startDatabricksTestServer();
    const connection = { ...server.connection, landingRoot: path.join(stack.env.KINEO_DATA_DIR, 'landing') };
    const dbx = new DatabricksWarehouse(connection);
    // The release after, started afresh (nothing of version 1's pins remembered).
    const released = new DatabricksWarehouse(connection);
    const warnings: Array<Record<string, unknown>> = [];
    const captured = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) });
    // The refresh runs where the tenant's lock lets it: after the build's snapshots stage, before its publish.
    const base = buildRegistry({ prisma, warehouse: released, secrets, queues, announce, dataDir: stack.env.KINEO_DATA_DIR });
    let refreshBeforePublish = false;
    let refreshed: unknown;
    const registry = new JobHandlerRegistry();
    for (const definition of JOB_DEFINITIONS) {
      const { handler } = base.get(definition.name)!;
      registry.register(definition, definition.name !== 'build.stage' ? handler : async (payload, context) => {
        if ((payload as { stage: string }).stage === 'publish' && refreshBeforePublish) {
          refreshBeforePublish = false;
          refreshed = await base.get('rollups.refresh')!.handler({ tenantId: (payload as { tenantId: string }).tenantId, requestedBy: 'ops@test' }, context);
        }
        return handler(payload, context);
      });
    }
    const first = await provisionedTenantWithWorker(harness(), 'dbxbetween', 'Databricks Between Co', dbx);
    const { tenant, ref } = first;
    let firstClosed: Promise<void> | undefined;
    const closeFirst = () => (firstClosed ??= first.close());
    const buildEvents = new QueueEvents('build', { connection: bullConnection(stack.redisUrl), prefix: QUEUE_PREFIX });
    const events = new QueueEvents('maintenance', { connection: bullConnection(stack.redisUrl), prefix: QUEUE_PREFIX });
    let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
    try {
      await Promise.all([buildEvents.waitUntilReady(), events.waitUntilReady()]);
      expect(await dropAndLoad(harness(), tenant.namespace, first.events, buildEvents)).toEqual({ stage: 'publish', version: 1 });
      await closeFirst();
      // Version 1 holds rollups of an older release (other signatures), so a refresh has them all to rebuild.
      await dbx.execute(ref, "update gold.rollup_manifest set signature = 'older-release'");
      const head = (await dbx.query(ref, 'describe history gold.rollup_manifest limit 1')).rows[0];
      await dbx.execute(ref, "update gold._kineo_published set delta_version = ? where version = 1 and table_name = 'rollup_manifest'", [Number(head.version)]);

      // The refresh's RESTORE of two rollups fails twice (not put back), of the manifest once (put back on the retry).
      // By course, the refresh's rollup has fewer rows than the build's (the second load adds a course).
      server.hooks.failStatements(/^RESTORE TABLE \S+\.rollup_course_progress_summary TO/, '[PERMISSION_DENIED] User does not have MODIFY on Table. SQLSTATE: 42501', 2);
      server.hooks.failStatements(/^RESTORE TABLE \S+\.rollup_course_progress_by_course TO/, '[PERMISSION_DENIED] User does not have MODIFY on Table. SQLSTATE: 42501', 2);
      server.hooks.failStatements(/^RESTORE TABLE \S+\.rollup_manifest TO/, '[DELTA_CONCURRENT_WRITE] ConcurrentWriteException. SQLSTATE: 2D521', 1);
      refreshBeforePublish = true;
      worker = await startWorker({ redisUrl: stack.redisUrl, registry, definitions: JOB_DEFINITIONS, log: captured, afterTenantJob: async () => released.release(ref) });
      // The second load has two completions where the first had one.
      const second = {
        ...files,
        'courses.csv': `${files['courses.csv']}2,D,D,,1,0,1,0,1\n`,
        'course_completions.csv': `${files['course_completions.csv']}2,1,2,0,0,0,10,,,\n`,
      };
      expect(await dropAndLoad(harness(), tenant.namespace, events, buildEvents, second)).toEqual({ stage: 'publish', version: 3 });
      expect(refreshed).toMatchObject({ refreshed: true, version: 2 });

      // The failed RESTORE is on the refresh's run and in the log, with the tenant and the table.
      const run = await prisma.buildRun.findFirstOrThrow({ where: { tenantId: tenant.id, kind: 'rollups' } });
      expect(run).toMatchObject({ status: 'succeeded', dataVersion: 2 });
      const stage = (run.stages as Array<{ stage: string; warnings?: string[]; details?: { unrestored?: unknown } }>).find((s) => s.stage === 'rollups')!;
      const unrestored = ['rollup_course_progress_by_course', 'rollup_course_progress_summary'];
      expect([...stage.warnings!].sort()).toEqual(unrestored.map((table) => expect.stringMatching(new RegExp(`^gold\\.${table} was not put back to Delta version \\d+ .*PERMISSION_DENIED`))));
      expect([...(stage.details?.unrestored as Array<{ table: string }>)].sort((a, b) => a.table.localeCompare(b.table))).toEqual(
        unrestored.map((table) => ({ table, version: expect.any(Number), error: expect.stringContaining('PERMISSION_DENIED') })),
      );
      expect(warnings.filter((w) => w.msg === 'rollups refresh: a working table was not restored').sort((a, b) => String(a.table).localeCompare(String(b.table)))).toEqual(
        unrestored.map((table) => expect.objectContaining({ tenantId: tenant.id, namespace: tenant.namespace, table: `gold.${table}` })),
      );

      // What a dashboard shows: each version's course completion summary from its rollup equals the same from its facts.
      const summary = dashboardQueries('course-completion', []).find((t) => t.tile.id === 'summary')!.query;
      const tileOf = async (version: number) => {
        const manifest = parseRollupManifest((await dbx.queryPublished(ref, ROLLUP_MANIFEST_QUERY, [], { version })).rows);
        expect(staleRollups(manifest, dbx.dialect)).toEqual([]);
        const asOf = (await prisma.buildRun.findFirstOrThrow({ where: { tenantId: tenant.id, dataVersion: version } })).asOf!.toISOString();
        const fromRollup = compileQuery(summary, { kind: 'tenant' }, dbx.dialect, { asOf, rollups: manifest });
        const fromFacts = compileQuery(summary, { kind: 'tenant' }, dbx.dialect, { asOf });
        expect(fromRollup.rollup).toBe('CourseProgress.summary');
        const answer = async (q: { sql: string; params: unknown[] }) => (await dbx.queryPublished(ref, q.sql, q.params as never[], { version })).rows;
        return { rollup: await answer(fromRollup), facts: await answer(fromFacts), manifest };
      };
      const [refreshVersion, buildVersion] = [await tileOf(2), await tileOf(3)];
      expect(refreshVersion.rollup).toEqual(refreshVersion.facts);
      expect(refreshVersion.rollup[0]['CourseProgress.count']).toBe(1);
      expect(buildVersion.rollup).toEqual(buildVersion.facts);
      expect(buildVersion.rollup[0]['CourseProgress.count']).toBe(2);
      // The working rollup kept the refresh's rows (the failure took): version 3 pinned the build's own instead.
      const rows = 'select * from gold.rollup_course_progress_summary order by all';
      expect((await dbx.query(ref, rows)).rows).toEqual((await dbx.queryPublished(ref, rows, [], { version: 2 })).rows);
      expect((await dbx.queryPublished(ref, rows, [], { version: 3 })).rows).not.toEqual((await dbx.queryPublished(ref, rows, [], { version: 2 })).rows);
      // Every working gold table is in version 3, and the fleet's record is version 3's own manifest.
      const pinned = (await dbx.query(ref, 'select table_name from gold._kineo_published where version = 3')).rows.map((r) => String(r.table_name)).sort();
      expect(pinned).toEqual((await dbx.tableCounts(ref, 'gold')).map((t) => t.table).sort());
      expect((await publishedRollupsOf(prisma, [tenant.id])).get(tenant.id)).toMatchObject({ dataVersion: 3, manifest: buildVersion.manifest });
      // The publish's row counts are version 3's own, not the working tables' (the refresh's rows where the RESTORE failed).
      const countsOf = async (read: (sql: string) => Promise<{ rows: Array<Record<string, unknown>> }>) =>
        Object.fromEntries(await Promise.all(pinned.map(async (table) => [table, Number((await read(`select count(*) as n from gold.${table}`)).rows[0].n)] as const)));
      const [published, working] = [await countsOf((sql) => dbx.queryPublished(ref, sql, [], { version: 3 })), await countsOf((sql) => dbx.query(ref, sql))];
      expect(working.rollup_course_progress_by_course).toBeLessThan(published.rollup_course_progress_by_course);
      const buildRun = await prisma.buildRun.findFirstOrThrow({ where: { tenantId: tenant.id, dataVersion: 3 } });
      const publishStage = (buildRun.stages as Array<{ stage: string; details?: { rows?: number; goldRows?: Record<string, number> } }>).find((s) => s.stage === 'publish')!;
      expect(publishStage.details?.goldRows).toEqual(published);
      // Its data rows: the facts and dimensions among them (the rollups and the calendar are not counted).
      expect(publishStage.details?.rows).toBe(goldDataRows(published));
      expect(publishStage.details?.rows).toBeGreaterThan(0);
    } finally {
      await buildEvents.close();
      await events.close();
      await worker?.close();
      await closeFirst();
      await dbx.close();
      await released.close();
      await server.close();
    }
  });
});
