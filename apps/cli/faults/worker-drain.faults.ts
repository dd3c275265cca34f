import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { JobQueues } from '@kineo/jobs';
import { startTestStack, type TestStack } from '@kineo/testkit';
import Redis from 'ioredis';
import { runCli } from '../test/run-cli';
import { exitOf, startFollowedWorker, stopProcess, type LogLine, type ProcessLog } from '../test/worker-process';

interface StageRecord {
  stage: string;
  status: string;
  attempt?: number;
}

// SIGTERM of the worker while a load's ingest runs: within WORKER_SHUTDOWN_GRACE_MS it finishes the
// stage and exits 0; past it, it stops the job at its next file, hands it back to the queue (not to
// BullMQ's stalled-job check), releases the tenant's lock and exits 0, and the next worker takes it
// at once. Either way the load ends published, once, with no bronze row twice.
describe('SIGTERM of the worker while a stage runs', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let redis: Redis;
  let queues: JobQueues;
  let tenantId: string;
  const workers: ChildProcess[] = [];

  async function startWorker(graceMs: number): Promise<{ worker: ChildProcess; log: ProcessLog }> {
    const started = await startFollowedWorker({ ...stack.env, WORKER_SHUTDOWN_GRACE_MS: String(graceMs) });
    workers.push(started.worker);
    return started;
  }

  async function exportFolder(seed: number): Promise<string> {
    const dir = path.join(stack.dir, `export-${seed}`);
    // Fifteen files, a few seconds of ingest each under load: a SIGTERM at the job's start finds files left.
    const made = await runCli(['generate', dir, '--users', '5000', '--seed', String(seed), '--years', '1', '--as-of', '2025-06-30'], stack.env);
    expect(made.stderr).toBe('');
    return dir;
  }

  async function sqlRows(sql: string): Promise<unknown[]> {
    const result = await runCli(['sql', 'acme', '--layer', 'bronze', sql, '--json'], stack.env);
    expect(result.stderr).toBe('');
    return result.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
  }

  async function queueLoad(seed: number): Promise<string> {
    const queued = await runCli(['ingest', 'acme', await exportFolder(seed), '--as-of', '2025-06-30', '--no-wait', '--json'], stack.env);
    expect(queued.code).toBe(0);
    return (JSON.parse(queued.stdout) as { ingestionRunId: string }).ingestionRunId;
  }

  async function buildEnd(ingestionRunId: string) {
    for (;;) {
      const build = await prisma.buildRun.findFirst({ where: { ingestionRunId } });
      if (build?.status === 'succeeded' || build?.status === 'failed') return build;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async function expectPublishedOnce(ingestionRunId: string, versionBefore: number) {
    const build = await buildEnd(ingestionRunId);
    expect({ status: build.status, error: build.error }).toEqual({ status: 'succeeded', error: null });
    expect(build.dataVersion).toBe(versionBefore + 1);
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).dataVersion).toBe(versionBefore + 1);
    expect(await sqlRows(`select count(*)::integer as n from bronze._loads where batch_id = '${ingestionRunId}'`)).toEqual([{ n: 1 }]);
    expect(await sqlRows('select _batch_id, _source_file, _source_line, count(*) as n from bronze.users group by all having count(*) > 1')).toEqual([]);
    return build;
  }

  const started = (jobId: string) => (l: LogLine) => l.msg === 'job started' && l.jobId === jobId;
  const said = (msg: string, jobId?: string) => (l: LogLine) => l.msg === msg && (jobId === undefined || l.jobId === jobId);

  /**
   * A worker with `graceMs` is sent SIGTERM as a load's ingest starts; it must exit 0, its log saying,
   * in this order: the job started, shutting down, each of `then` about the job, stopped.
   */
  async function sigtermDuringIngest(graceMs: number, seed: number, then: string[]) {
    const first = await startWorker(graceMs);
    const runId = await queueLoad(seed);
    const ingest = `${runId}-ingest`;
    const startedLine = await first.log.waitFor(started(ingest));
    const exited = exitOf(first.worker);
    first.worker.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    const order = [
      first.log.indexOf(started(ingest)),
      first.log.indexOf(said('shutting down: finishing jobs in hand')),
      ...then.map((msg) => first.log.indexOf(said(msg, ingest))),
      first.log.indexOf(said('stopped')),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    return { first, runId, ingest, startedLine };
  }

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    redis = new Redis(stack.redisUrl);
    queues = new JobQueues(stack.redisUrl);
    const { worker } = await startWorker(20_000);
    expect((await runCli(['tenant', 'create', 'acme', '--name', 'Acme', '--wait'], stack.env)).code).toBe(0);
    tenantId = (await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } })).id;
    await stopProcess(worker);
  });

  afterAll(async () => {
    for (const worker of workers) await stopProcess(worker);
    await queues?.close();
    redis?.disconnect();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it('finishes the stage in hand within the grace, exits 0, and the next worker goes on from the next stage', async () => {
    const versionBefore = (await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).dataVersion;
    const { first, runId, ingest } = await sigtermDuringIngest(600_000, 1, ['job finished']);
    expect(first.log.indexOf(said('job handed back to its queue: the worker is stopping'))).toBe(-1);
    // The worker took nothing new once told to stop.
    expect(first.log.indexOf(started(`${runId}-silver`))).toBe(-1);
    const ingestion = await prisma.ingestionRun.findUniqueOrThrow({ where: { id: runId } });
    expect(ingestion.status).toBe('succeeded');
    expect(await (await queues.queue('ingest').getJob(ingest))!.getState()).toBe('completed');

    const second = await startWorker(20_000);
    const build = await expectPublishedOnce(runId, versionBefore);
    // The stage the first worker finished is not run again.
    expect(second.log.indexOf(started(ingest))).toBe(-1);
    expect(second.log.indexOf(started(`${runId}-silver`))).toBeGreaterThanOrEqual(0);
    expect((build.stages as unknown as StageRecord[]).find((s) => s.stage === 'ingest')).toMatchObject({ status: 'succeeded', attempt: 1 });
    await stopProcess(second.worker);
  });

  it('past the grace, hands the job back at its next file and releases the tenant lock, and another worker takes it at once', async () => {
    const versionBefore = (await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).dataVersion;
    const { first, runId, ingest, startedLine } = await sigtermDuringIngest(0, 2, [
      'job stopped: the worker is stopping',
      'job handed back to its queue: the worker is stopping',
    ]);
    expect(first.log.indexOf(said('job finished', ingest))).toBe(-1);

    // With no worker running: the job waits in its queue (not "active" until a stalled-job check
    // notices), the tenant's lock is free, and the load is neither failed nor half in bronze.
    const job = await queues.queue('ingest').getJob(ingest);
    expect(await job!.getState()).toBe('waiting');
    expect(await redis.exists(`kineo:lock:tenant:${tenantId}`)).toBe(0);
    expect((await prisma.ingestionRun.findUniqueOrThrow({ where: { id: runId } })).status).toBe('running');
    expect(await sqlRows(`select count(*)::integer as n from bronze._loads where batch_id = '${runId}'`)).toEqual([{ n: 0 }]);

    const second = await startWorker(20_000);
    const again = await second.log.waitFor(started(ingest));
    // The same attempt again: handing back cost the job none of its retries.
    expect(again.attempt).toBe(startedLine.attempt);
    await expectPublishedOnce(runId, versionBefore);
    const done = await queues.queue('ingest').getJob(ingest);
    expect(done!.stalledCounter).toBe(0);
    await stopProcess(second.worker);
  });
});
