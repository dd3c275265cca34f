import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createPrismaClient, StageRecorder } from '@kineo/db';
import { pollUntil } from '@kineo/jobs';
import { startOtlpReceiver, startTestStack, type TestStack } from '@kineo/testkit';
import { runCli } from './run-cli';
import { startFollowedWorker, startWorkerProcess, stopProcess } from './worker-process';
import { writeExport } from './export-fixture';

describe('kineo ingest', () => {
  let stack: TestStack;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    stack = await startTestStack();
    worker = await startWorkerProcess(stack.env);
    const created = await runCli(['tenant', 'create', 'acme', '--name', 'Acme', '--wait'], stack.env);
    expect(created.code).toBe(0);
  });

  afterAll(async () => {
    await stopProcess(worker);
    await stack?.stop();
  });

  it('loads a folder of export files through every stage to published gold, and reports every file', async () => {
    const dir = writeExport(path.join(stack.dir, 'export-1'));
    const result = await runCli(['ingest', 'acme', dir, '--as-of', '2025-06-30', '--json'], stack.env);
    expect(result.code).toBe(0);
    const outcome = JSON.parse(result.stdout);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.asOf).toBe('2025-06-30T00:00:00.000Z');
    expect(outcome.stages.map((s: { stage: string; status: string }) => [s.stage, s.status])).toEqual([
      ['ingest', 'succeeded'],
      ['silver', 'succeeded'],
      ['hierarchy', 'succeeded'],
      ['gold', 'succeeded'],
      ['snapshots', 'succeeded'],
      ['publish', 'succeeded'],
    ]);
    expect(outcome.dataVersion).toBe(1);
    const byFile = Object.fromEntries(outcome.files.map((f: { file: string }) => [f.file, f]));
    expect(byFile['course_completions.csv']).toMatchObject({ rowsRead: 2, rowsLoaded: 1, rowsQuarantined: 1 });
    expect(byFile['course_completions.csv'].reasons[0].reason).toContain('status "99" is not a code the contract lists');
    expect([outcome.rowsRead, outcome.rowsLoaded, outcome.rowsQuarantined]).toEqual([9, 8, 1]);

    const reports = await runCli(
      ['sql', 'acme', '--layer', 'silver', 'select relationship, count(*) as n from silver.user_all_reports where manager_user_id = 1 group by 1 order by 1', '--json'],
      stack.env,
    );
    expect(reports.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { relationship: 'direct', n: 1 },
      { relationship: 'indirect', n: 1 },
      { relationship: 'self', n: 1 },
    ]);

    // The published gold answers without --layer.
    const gold = await runCli(['sql', 'acme', 'select user_key, status from gold.fact_course_progress order by user_key', '--json'], stack.env);
    expect(gold.stderr).toBe('');
    expect(gold.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ user_key: 2, status: 'complete' }]);
    const shown = JSON.parse((await runCli(['tenant', 'show', 'acme', '--json'], stack.env)).stdout);
    expect(shown.dataVersion).toBe(1);
  });

  it('traces a command as one span named by its command path, with the warehouse statement under it, and never its SQL', async () => {
    const collector = await startOtlpReceiver();
    try {
      const result = await runCli(['sql', 'acme', 'select count(*) as n from gold.fact_course_progress', '--json'], {
        ...stack.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      });
      expect(result.code).toBe(0);

      // The CLI sends its spans before it exits.
      const command = collector.spans.find((s) => s.name === 'kineo sql')!;
      expect(command).toMatchObject({ service: 'kineo-cli', parentSpanId: '', attributes: { 'kineo.command': 'sql', 'process.exit.code': 0 } });
      const statement = collector.spans.find((s) => s.parentSpanId === command.spanId)!;
      expect(statement).toMatchObject({ name: 'warehouse.streamPublished', attributes: { 'db.operation.name': 'SELECT', 'kineo.tenant': expect.stringMatching(/^t_/) } });
      expect(JSON.stringify(collector.spans)).not.toContain('fact_course_progress');
    } finally {
      await collector.stop();
    }
  });

  it('shows people a report table with the reason for quarantined rows', async () => {
    const dir = writeExport(path.join(stack.dir, 'export-2'), {
      'courses.csv': ['id,fullname,shortname,idnumber,category,coursetype,visible,startdate,enablecompletion', '100,Safety,S,,1,0,1,0,1', '101,First aid,F,,1,1,1,0,1'],
    });
    const result = await runCli(['ingest', 'acme', dir], stack.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/courses\.csv\s+loaded\s+2\s+2\s+0/);
    expect(result.stdout).toMatch(/users\.csv\s+duplicate\s+0\s+0\s+0\s+identical to users\.csv already loaded in load #1/);
    expect(result.stderr).toMatch(/publish\s+\[6\/6\] succeeded/);
    expect(result.stdout).toMatch(/Published as version 2/);
  });

  it('rejects a load with a wrong header, says which file and columns, and changes nothing', async () => {
    const dir = writeExport(path.join(stack.dir, 'export-3'), { 'courses.csv': ['id,title', '102,Oops'] });
    const result = await runCli(['ingest', 'acme', dir, '--json'], stack.env);
    expect(result.code).toBe(1);
    const outcome = JSON.parse(result.stdout);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('courses.csv: the header lacks fullname, shortname');
    expect(outcome.error).toContain('expected columns: id, fullname, shortname, idnumber');
    const prisma = createPrismaClient(stack.databaseUrl, { poolSize: 1 });
    try {
      const run = await prisma.ingestionRun.findUniqueOrThrow({ where: { id: outcome.ingestionRunId }, include: { buildRuns: true } });
      expect([run.failureCode, run.buildRuns[0]?.failureCode]).toEqual(['LOAD_REJECTED', 'LOAD_REJECTED']);
    } finally {
      await prisma.$disconnect();
    }
    const courses = await runCli(['sql', 'acme', '--layer', 'silver', 'select count(*) as n from silver.courses', '--json'], stack.env);
    expect(JSON.parse(courses.stdout)).toEqual({ n: 2 });
    const shown = JSON.parse((await runCli(['tenant', 'show', 'acme', '--json'], stack.env)).stdout);
    expect(shown.dataVersion).toBe(2);
  });

  it('says clearly when there is nothing to load', async () => {
    const empty = path.join(stack.dir, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    const result = await runCli(['ingest', 'acme', empty], stack.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('has no .csv or .xlsx files');
    const missing = await runCli(['ingest', 'acme', path.join(stack.dir, 'nope')], stack.env);
    expect(missing.stderr).toContain('No such file or folder');
  });

  it('rebuilds a tenant from what it has loaded, rollups included, as a new version at the as-of asked', async () => {
    const before = JSON.parse((await runCli(['tenant', 'show', 'acme', '--json'], stack.env)).stdout).dataVersion as number;
    const rebuilt = await runCli(['tenant', 'rebuild', 'acme', '--as-of', '2025-07-01', '--wait', '--json'], stack.env);
    expect(rebuilt.stderr).toBe('');
    expect(rebuilt.code).toBe(0);
    const outcome = JSON.parse(rebuilt.stdout);
    expect(outcome).toMatchObject({ status: 'succeeded', dataVersion: before + 1, asOf: '2025-07-01T00:00:00.000Z' });
    expect(outcome.stages.map((s: { stage: string }) => s.stage)).toEqual(['silver', 'hierarchy', 'gold', 'snapshots', 'publish']);
    const rows = async (sql: string) => (await runCli(['sql', 'acme', sql, '--json'], stack.env)).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(await rows("select as_of_key, row_count from gold.rollup_manifest where rollup_name = 'CourseProgress.summary'")).toEqual([{ as_of_key: 20250701, row_count: 1 }]);
    expect(await rows('select sum(m__count__n) as n, sum(m__completed__n) as done from gold.rollup_course_progress_summary')).toEqual([{ n: 1, done: 1 }]);
  });

  it('shows stale rollups and refreshes them as the next version, and does nothing when none is stale', async () => {
    const shown = JSON.parse((await runCli(['tenant', 'show', 'acme', '--json'], stack.env)).stdout);
    const before = shown.dataVersion as number;
    expect(shown.rollups).toEqual({ version: before, stale: [] });
    // The published version as an older release built it: one rollup from another definition, with no rows.
    const db = await DuckDBInstance.create(path.join(stack.env.KINEO_DATA_DIR, 'warehouse', shown.namespace, 'gold', `v${before}.duckdb`));
    const c = await db.connect();
    await c.run("update gold.rollup_manifest set signature = 'older-release' where rollup_name = 'CourseProgress.summary'");
    await c.run('delete from gold.rollup_course_progress_summary');
    c.closeSync();
    db.closeSync();
    // An older release recorded no gold columns in Postgres, so the next start reads this version again.
    const prisma = createPrismaClient(stack.databaseUrl, { poolSize: 1 });
    try {
      await prisma.$executeRaw`update published_rollups set gold_columns = null, gold_columns_version = null`;
    } finally {
      await prisma.$disconnect();
    }
    const stale = await runCli(['tenant', 'show', 'acme'], stack.env);
    expect(stale.stdout).toContain(`1 stale in version ${before} (CourseProgress.summary)`);
    expect(stale.stdout).toContain('kineo tenant refresh-rollups acme');

    // A deploy: the worker starts with this release, finds the stale rollup and refreshes it on its own.
    await stopProcess(worker);
    const started = await startFollowedWorker(stack.env);
    worker = started.worker;
    expect(await started.log.waitFor((l) => l.msg === 'rollups refresh at start: stale tenants queued')).toMatchObject({ checked: 1, queued: 1 });
    expect(await started.log.waitFor((l) => l.msg === 'rollups refreshed and published')).toMatchObject({ from: before, version: before + 1, rollups: ['CourseProgress.summary'] });
    const shownAfter = JSON.parse((await runCli(['tenant', 'show', 'acme', '--json'], stack.env)).stdout);
    expect(shownAfter.dataVersion).toBe(before + 1);
    expect(shownAfter.rollups).toEqual({ version: before + 1, stale: [] });
    expect(shownAfter.buildRuns[0]).toMatchObject({ kind: 'rollups', status: 'succeeded', dataVersion: before + 1 });
    const rows = async (sql: string) => (await runCli(['sql', 'acme', sql, '--json'], stack.env)).stdout.trim().split('\n').map((l) => JSON.parse(l));
    // Rebuilt at the version's own as_of (the rebuild's, 2025-07-01) from its gold.
    expect(await rows("select as_of_key, row_count from gold.rollup_manifest where rollup_name = 'CourseProgress.summary'")).toEqual([{ as_of_key: 20250701, row_count: 1 }]);
    expect(await rows('select sum(m__count__n) as n, sum(m__completed__n) as done from gold.rollup_course_progress_summary')).toEqual([{ n: 1, done: 1 }]);

    const again = await runCli(['tenant', 'refresh-rollups', 'acme', '--wait'], stack.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('acme: nothing stale');
    expect((await runCli(['tenant', 'refresh-rollups', '--all', '--wait', '--json'], stack.env)).stdout.trim()).toBe('[]');
    expect(JSON.parse((await runCli(['tenant', 'show', 'acme', '--json'], stack.env)).stdout).dataVersion).toBe(before + 1);
    const usage = await runCli(['tenant', 'refresh-rollups'], stack.env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('or pass --all');
  });

  it("prints a run's stage warnings while waiting on it and on the tenant's page, and still exits 0", async () => {
    // No worker: the test records the run as a refresh whose working table could not be put back would.
    await stopProcess(worker);
    worker = undefined;
    const prisma = createPrismaClient(stack.databaseUrl, { poolSize: 1 });
    const warning = 'Working table gold.rollup_course_progress_summary could not be restored to version 4: RESTORE failed twice.';
    try {
      const waiting = runCli(['tenant', 'refresh-rollups', 'acme', '--wait'], stack.env);
      const run = await pollUntil(async () => (await prisma.buildRun.findFirst({ where: { kind: 'rollups', status: 'queued' } })) ?? undefined);
      const recorder = await StageRecorder.resume(prisma, run.id);
      await recorder.stage('rollups', async () => ({ result: null, details: { stale: [] }, warnings: [warning] }));
      await recorder.finish({ status: 'succeeded' });

      const waited = await waiting;
      expect(waited.code).toBe(0);
      expect(waited.stdout).toContain('acme: nothing stale');
      expect(waited.stderr).toContain(`acme: Warning (rollups): ${warning}`);
      const shown = await runCli(['tenant', 'show', 'acme'], stack.env);
      expect(shown.stdout).toContain(`Warnings of the latest build\nWarning (rollups): ${warning}\n`);
    } finally {
      await prisma.$disconnect();
    }
  });
});
