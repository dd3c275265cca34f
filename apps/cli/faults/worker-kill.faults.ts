import type { ChildProcess } from 'node:child_process';
import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { LOAD_STAGES } from '@kineo/jobs';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { exportFolder as exportFolderIn, expectBronzeOnce, sqlRows as sqlRowsOf } from '../test/load-fixtures';
import { runCli } from '../test/run-cli';
import { startWorkerProcess, stopProcess } from '../test/worker-process';

// kill -9 of the worker while each stage of a load runs, in turn: the published version never
// changes to a partial one and keeps answering, and after a restart the load ends (resumed, or
// failed with its reason and retried with one command) with no bronze row loaded twice.
describe('kill -9 of the worker during each stage of a load', () => {
  let stack: TestStack;
  let worker: ChildProcess | undefined;
  let prisma: PrismaClient;
  let tenantId: string;
  const goldCount = 'select count(*) as n from gold.fact_course_progress';

  /** The worker's pino lines as they come, for waiting on "job started" of one job. */
  let onLine: ((line: string) => void) | undefined;
  async function startWorker() {
    worker = await startWorkerProcess(stack.env);
    let pending = '';
    worker.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) onLine?.(line);
    });
  }

  const exportFolder = (seed: number) => exportFolderIn(stack.env, stack.dir, `export-${seed}`, { users: 400, seed });
  const sqlRows = (sql: string) => sqlRowsOf(stack.env, 'acme', sql);

  async function runEnd(ingestionRunId: string) {
    for (;;) {
      const run = await prisma.ingestionRun.findUniqueOrThrow({ where: { id: ingestionRunId }, include: { buildRuns: true } });
      const build = run.buildRuns[0];
      if (run.status === 'failed' || build?.status === 'failed' || build?.status === 'succeeded') return { run, build };
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  beforeAll(async () => {
    stack = await startTestStack();
    await startWorker();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    expect((await runCli(['tenant', 'create', 'acme', '--name', 'Acme', '--wait'], stack.env)).code).toBe(0);
    tenantId = (await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } })).id;
    const first = await runCli(['ingest', 'acme', await exportFolder(1), '--as-of', '2025-06-30', '--json'], stack.env);
    expect((JSON.parse(first.stdout) as { status: string }).status).toBe('succeeded');
  });

  afterAll(async () => {
    onLine = undefined;
    await stopProcess(worker);
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it.each(LOAD_STAGES.map((stage, i) => [stage, i + 2] as const))('during %s', async (stage, seed) => {
    const before = await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
    const answerBefore = await sqlRows(goldCount);

    const dir = await exportFolder(seed);
    const started = new Promise<void>((resolve) => {
      onLine = (line) => {
        if (line.includes('"job started"') && line.includes(`-${stage}"`)) resolve();
      };
    });
    const queued = await runCli(['ingest', 'acme', dir, '--as-of', '2025-06-30', '--no-wait', '--json'], stack.env);
    const { ingestionRunId } = JSON.parse(queued.stdout) as { ingestionRunId: string };
    await started;
    worker!.kill('SIGKILL');
    await new Promise((r) => worker!.once('exit', r));
    onLine = undefined;

    // While no worker runs: the previous version is still the published one, and answers.
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).dataVersion).toBe(before.dataVersion);
    expect(await sqlRows(goldCount)).toEqual(answerBefore);

    await startWorker();
    const { run, build } = await runEnd(ingestionRunId);
    let published = build?.status === 'succeeded';
    if (!published) {
      // Failed with its reason, and one command loads the same files again.
      expect(run.error ?? build?.error).toBeTruthy();
      const retried = await runCli(['ingest', 'acme', dir, '--as-of', '2025-06-30', '--json'], stack.env);
      published = (JSON.parse(retried.stdout) as { status: string }).status === 'succeeded';
    }
    expect(published).toBe(true);
    const after = await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
    expect(after.dataVersion).toBe(before.dataVersion + 1);
    const version = await prisma.buildRun.findFirstOrThrow({ where: { tenantId, dataVersion: after.dataVersion } });
    expect(version.status).toBe('succeeded');

    await expectBronzeOnce(stack.env, 'acme');
  }, 600_000);
});
