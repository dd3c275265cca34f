import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { holdLock, startTestStack, type HeldLock, type TestStack } from '@kineo/testkit';
import { DuckDbWarehouse } from '@kineo/warehouse';
import { exportFolder as exportFolderIn } from '../test/load-fixtures';
import { runCli } from '../test/run-cli';
import { followLog, startWorkerProcess, stopProcess, type ProcessLog } from '../test/worker-process';

/** How long Postgres stays down: longer than the few seconds a job's three attempts with backoff would last. */
const POSTGRES_OUTAGE_MS = 20_000;
const RETRY_LINE = 'metadata database unreachable; job back in the queue, tried again after a backoff';

// Postgres stopped and started again under the worker while a load runs, and at the very moment
// the publish stage records the new version: the worker waits the outage out with backoff (no
// crash, no lost job), the load is published once, and the warehouse's published version never
// runs ahead of the tenant's version in Postgres.
describe('Postgres stopped and started again under the worker', () => {
  let stack: TestStack;
  let worker: ChildProcess | undefined;
  let log: ProcessLog;
  let prisma: PrismaClient;
  let tenant: { id: string; namespace: string };
  let warehouse: DuckDbWarehouse;
  let seed = 1;

  const exportFolder = () => exportFolderIn(stack.env, stack.dir, `export-${++seed}`, { users: 400, seed });

  /** The tenant's version in Postgres, or undefined while Postgres is away. */
  const recordedVersion = () =>
    prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } }).then(
      (t) => t.dataVersion,
      () => undefined,
    );
  const pointer = async () => (await warehouse.publishedVersion({ tenantId: tenant.id, namespace: tenant.namespace })) ?? 0;

  /**
   * Samples, until stopped, the warehouse's pointer and then Postgres's version (in that order: the
   * pointer only ever moves after Postgres, so a sample can catch Postgres ahead, never the pointer).
   */
  function sampleAgreement() {
    const ahead: string[] = [];
    let samples = 0;
    let running = true;
    const done = (async () => {
      while (running) {
        const warehouseVersion = await pointer();
        const postgresVersion = await recordedVersion();
        if (postgresVersion !== undefined) {
          samples++;
          if (warehouseVersion > postgresVersion) ahead.push(`warehouse ${warehouseVersion}, Postgres ${postgresVersion}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await done;
        return { ahead, samples };
      },
    };
  }

  /** Waits for the build's end: it must be published as `version`, with Postgres and the warehouse agreeing at the end and at every sample. */
  async function publishedAgreeing(buildRunId: string, version: number, sampler: ReturnType<typeof sampleAgreement>) {
    let build = await prisma.buildRun.findUnique({ where: { id: buildRunId } }).catch(() => null);
    while (build?.status !== 'succeeded' && build?.status !== 'failed') {
      await new Promise((r) => setTimeout(r, 500));
      build = await prisma.buildRun.findUnique({ where: { id: buildRunId } }).catch(() => null);
    }
    const { ahead, samples } = await sampler.stop();
    expect(build).toMatchObject({ status: 'succeeded', dataVersion: version });
    expect(await recordedVersion()).toBe(version);
    expect(await pointer()).toBe(version);
    expect(ahead).toEqual([]);
    expect(samples).toBeGreaterThan(0);
    return build;
  }

  beforeAll(async () => {
    stack = await startTestStack({ restartable: true });
    worker = await startWorkerProcess(stack.env);
    log = followLog(worker);
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 3 });
    warehouse = new DuckDbWarehouse({ rootDir: path.join(stack.env.KINEO_DATA_DIR, 'warehouse'), threads: 1 });
    expect((await runCli(['tenant', 'create', 'acme', '--name', 'Acme', '--wait'], stack.env)).code).toBe(0);
    tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
    const first = await runCli(['ingest', 'acme', await exportFolder(), '--as-of', '2025-06-30', '--json'], stack.env);
    expect((JSON.parse(first.stdout) as { status: string }).status).toBe('succeeded');
  });

  afterAll(async () => {
    await stopProcess(worker);
    await prisma?.$disconnect();
    await warehouse?.close();
    await stack?.stop();
  });

  /** A row the test holds; released after each test, so a failing one does not leave the worker waiting on it. */
  let lock: HeldLock | undefined;

  afterEach(async () => {
    await lock?.release();
    lock = undefined;
    // The worker rode out every outage in the process started before them: no crash, no restart.
    expect(worker!.exitCode).toBeNull();
    expect(worker!.signalCode).toBeNull();
  });

  it('waits out Postgres stopped during the gold stage, retrying with backoff, and publishes the load once', async () => {
    const before = (await recordedVersion())!;
    const sampler = sampleAgreement();
    const goldStarted = log.next((l) => l.msg === 'job started' && String(l.jobId).endsWith('-gold'));
    const queued = await runCli(['ingest', 'acme', await exportFolder(), '--as-of', '2025-06-30', '--no-wait', '--json'], stack.env);
    const { buildRunId } = JSON.parse(queued.stdout) as { buildRunId: string };
    await goldStarted;
    const retriesBefore = log.lines.filter((l) => l.msg === RETRY_LINE).length;
    await stack.stopServer('postgres');
    await new Promise((r) => setTimeout(r, POSTGRES_OUTAGE_MS));
    await stack.startServer('postgres');

    const build = await publishedAgreeing(buildRunId, before + 1, sampler);

    // Waited with backoff (each wait longer than the one before), spending none of the job's attempts.
    const waits = log.lines
      .slice(retriesBefore)
      .filter((l) => l.msg === RETRY_LINE && String(l.jobId).endsWith('-gold'))
      .map((l) => l.retryInMs as number);
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
    expect(new Set(waits).size).toBeGreaterThan(1);
    const stages = build.stages as unknown as { stage: string; status: string; attempt?: number }[];
    expect(stages.every((s) => s.status === 'succeeded' && s.attempt === 1)).toBe(true);
  });

  it("never moves the warehouse's published version without its Postgres record when Postgres goes down as publish records it", async () => {
    const before = (await recordedVersion())!;
    // Hold the tenant's row: publish's record of the new version (the tenant's version, the build
    // run, the audit event: one transaction) waits on it, at exactly the moment to take Postgres away.
    // NO KEY UPDATE, as an update of the row takes: rows that only refer to the tenant (the load's
    // request, its audit events) are not held up by it.
    lock = await holdLock(stack.databaseUrl, 'select id from tenant where id = $1::uuid for no key update', [tenant.id]);

    const sampler = sampleAgreement();
    const queued = await runCli(['ingest', 'acme', await exportFolder(), '--as-of', '2025-06-30', '--no-wait', '--json'], stack.env);
    const { buildRunId } = JSON.parse(queued.stdout) as { buildRunId: string };
    // The worker's publish is waiting on the row.
    for (;;) {
      const [{ waiting }] = await prisma.$queryRaw<{ waiting: bigint }[]>`select count(*) as waiting from pg_locks where not granted`;
      if (waiting > 0n) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // The snapshot is made, Postgres has not recorded it: the warehouse must still name the old version.
    expect(await pointer()).toBe(before);
    expect(await recordedVersion()).toBe(before);

    const retriesBefore = log.lines.filter((l) => l.msg === RETRY_LINE).length;
    await stack.stopServer('postgres');
    await lock.release();
    const outageEnds = Date.now() + POSTGRES_OUTAGE_MS;
    while (Date.now() < outageEnds) {
      expect(await pointer()).toBe(before);
      await new Promise((r) => setTimeout(r, 250));
    }
    await stack.startServer('postgres');

    const build = await publishedAgreeing(buildRunId, before + 1, sampler);
    const stages = build.stages as unknown as { stage: string; status: string; attempt?: number }[];
    expect(stages.every((s) => s.status === 'succeeded' && s.attempt === 1)).toBe(true);
    expect(log.lines.slice(retriesBefore).filter((l) => l.msg === RETRY_LINE && String(l.jobId).endsWith('-publish')).length).toBeGreaterThanOrEqual(2);
    // One version, one record of it.
    const published = await prisma.auditEvent.findMany({ where: { tenantId: tenant.id, action: 'data.published' } });
    expect(published.filter((e) => (e.details as { buildRunId?: string }).buildRunId === buildRunId)).toHaveLength(1);
    expect(published.map((e) => (e.details as { version: number }).version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: before + 1 }, (_, i) => i + 1),
    );
  });
});
