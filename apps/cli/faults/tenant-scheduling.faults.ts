import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { runCli } from '../test/run-cli';
import { startWorkerProcess, stopProcess } from '../test/worker-process';

/** The big tenant's size for the fairness scenario: the bar is 1M users, hours on a shared machine. */
const BIG_USERS = Number(process.env.KINEO_FAULTS_BIG_USERS ?? 50_000);
const SMALL_USERS = 1_000;

interface StageRecord {
  stage: string;
  status: string;
  startedAt?: string;
  finishedAt?: string;
}

interface Interval {
  stage: string;
  from: number;
  to: number;
}

// How a tenant's loads are scheduled: one at a time per tenant (the tenant lock, across worker
// processes), and side by side across tenants, so a big tenant's load does not hold a small
// tenant's back. Everything is read from the build-run records in Postgres.
describe('loads of one tenant and of different tenants at once', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  const workers: ChildProcess[] = [];

  async function exportFolder(name: string, users: number, seed: number): Promise<string> {
    const dir = path.join(stack.dir, `export-${name}-${seed}`);
    const made = await runCli(['generate', dir, '--users', String(users), '--seed', String(seed), '--years', '1', '--as-of', '2025-06-30'], stack.env);
    expect(made.stderr).toBe('');
    return dir;
  }

  async function ingest(slug: string, dir: string): Promise<string> {
    const result = await runCli(['ingest', slug, dir, '--as-of', '2025-06-30', '--json'], stack.env);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as { ingestionRunId: string; status: string; error?: string; stages?: { stage: string; status: string; error?: string }[] };
    // The failure's reason and stages beside the status, so a failure says why.
    const failed = (out.stages ?? []).filter((s) => s.status !== 'succeeded').map((s) => ({ stage: s.stage, status: s.status, error: s.error }));
    expect({ status: out.status, error: out.error ?? null, failed }).toEqual({ status: 'succeeded', error: null, failed: [] });
    return out.ingestionRunId;
  }

  async function buildOf(ingestionRunId: string) {
    const build = await prisma.buildRun.findFirstOrThrow({ where: { ingestionRunId }, include: { ingestionRun: true } });
    const stages = (build.stages as unknown as StageRecord[]).map((s) => {
      expect({ stage: s.stage, status: s.status, timed: typeof s.startedAt === 'string' && typeof s.finishedAt === 'string' }).toEqual({ stage: s.stage, status: 'succeeded', timed: true });
      return { stage: s.stage, from: Date.parse(s.startedAt!), to: Date.parse(s.finishedAt!) };
    });
    // From the request being recorded to the version being published.
    const requestedAt = build.ingestionRun!.createdAt.getTime();
    const publishedAt = build.finishedAt?.getTime();
    return { build, stages, requestedAt, publishedAt, tookMs: publishedAt === undefined ? undefined : publishedAt - requestedAt };
  }

  const overlapping = (a: Interval[], b: Interval[]) =>
    a.flatMap((x) => b.filter((y) => x.from < y.to && y.from < x.to).map((y) => `${x.stage} with ${y.stage}`));

  async function tenant(slug: string): Promise<string> {
    expect((await runCli(['tenant', 'create', slug, '--name', slug, '--wait'], stack.env)).code).toBe(0);
    return (await prisma.tenant.findUniqueOrThrow({ where: { slug } })).id;
  }

  async function bronzeRows(slug: string, sql: string): Promise<unknown[]> {
    const result = await runCli(['sql', slug, '--layer', 'bronze', sql, '--json'], stack.env);
    expect(result.stderr).toBe('');
    return result.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
  }

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    // Two worker processes, as two replicas: the tenant lock has to hold across processes.
    workers.push(await startWorkerProcess(stack.env), await startWorkerProcess(stack.env));
  });

  afterAll(async () => {
    for (const worker of workers) await stopProcess(worker);
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it('serialises two loads of one tenant started together: no stage overlaps, versions +1 then +2, bronze holds each once', async () => {
    const tenantId = await tenant('acme');
    const [dirA, dirB] = await Promise.all([exportFolder('acme', 1_000, 1), exportFolder('acme', 1_000, 2)]);
    const before = (await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).dataVersion;

    const [a, b] = await Promise.all([ingest('acme', dirA), ingest('acme', dirB)]);
    const [runA, runB] = await Promise.all([buildOf(a), buildOf(b)]);
    // They did contend: each was requested before the other was published.
    expect(runA.requestedAt).toBeLessThan(runB.publishedAt!);
    expect(runB.requestedAt).toBeLessThan(runA.publishedAt!);
    expect(overlapping(runA.stages, runB.stages)).toEqual([]);

    expect([runA.build.dataVersion!, runB.build.dataVersion!].sort((x, y) => x - y)).toEqual([before + 1, before + 2]);
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).dataVersion).toBe(before + 2);
    expect(await bronzeRows('acme', 'select batch_id, count(*)::integer as n from bronze._loads group by batch_id order by batch_id')).toEqual(
      [a, b].sort().map((batch_id) => ({ batch_id, n: 1 })),
    );
    expect(await bronzeRows('acme', 'select _batch_id, _source_file, _source_line, count(*) as n from bronze.users group by all having count(*) > 1')).toEqual([]);
  });

  it(`runs a ${SMALL_USERS.toLocaleString('en')}-user tenant's load beside a ${BIG_USERS.toLocaleString('en')}-user tenant's, not behind it`, async () => {
    // One worker process with the default WORKER_CONCURRENCY, the deployment's smallest size.
    await stopProcess(workers.pop());
    const bigId = await tenant('big');
    await tenant('small');
    const [bigDir, warmUp, alone, beside] = await Promise.all([
      exportFolder('big', BIG_USERS, 1),
      exportFolder('small', SMALL_USERS, 1),
      exportFolder('small', SMALL_USERS, 2),
      exportFolder('small', SMALL_USERS, 3),
    ]);
    // The first load of a tenant creates its tables; the second is the one measured alone.
    await ingest('small', warmUp);
    const aloneRun = await buildOf(await ingest('small', alone));

    const queued = await runCli(['ingest', 'big', bigDir, '--as-of', '2025-06-30', '--no-wait', '--json'], stack.env);
    const bigRunId = (JSON.parse(queued.stdout) as { ingestionRunId: string }).ingestionRunId;
    // Started together: the small load is requested once the big one's first stage is running.
    for (;;) {
      const build = await prisma.buildRun.findFirst({ where: { ingestionRunId: bigRunId } });
      if ((build?.stages as unknown as StageRecord[] | undefined)?.some((s) => s.status === 'running')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const besideRun = await buildOf(await ingest('small', beside));
    for (;;) {
      const build = await prisma.buildRun.findFirstOrThrow({ where: { ingestionRunId: bigRunId } });
      if (build.status === 'succeeded' || build.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const bigRun = await buildOf(bigRunId);
    expect(bigRun.build.status).toBe('succeeded');
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: bigId } })).dataVersion).toBe(1);

    const figures = {
      bigUsers: BIG_USERS,
      smallAloneMs: aloneRun.tookMs,
      smallBesideMs: besideRun.tookMs,
      bigMs: bigRun.tookMs,
      smallStagesOverlappingBig: overlapping(besideRun.stages, bigRun.stages).length,
    };
    process.stdout.write(`fairness figures: ${JSON.stringify(figures)}\n`);
    // Side by side: the small load's stages ran while the big one's did, and it was published first.
    expect(figures.smallStagesOverlappingBig).toBeGreaterThan(0);
    expect(besideRun.publishedAt!).toBeLessThan(bigRun.publishedAt!);
    // The bar: held back by no more than its own duration plus a minute.
    expect(besideRun.tookMs! - aloneRun.tookMs!).toBeLessThanOrEqual(aloneRun.tookMs! + 60_000);
  }, 3_600_000);
});
