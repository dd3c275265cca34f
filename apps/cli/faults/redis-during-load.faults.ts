import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { JobQueues, LOAD_STAGES, loadJobIds } from '@kineo/jobs';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { startGatewayProcess, type GatewayProcess } from '../test/gateway-process';
import { exportFolder as exportFolderIn, expectBronzeOnce } from '../test/load-fixtures';
import { runCli } from '../test/run-cli';
import { followLog, startWorkerProcess, stopProcess, type ProcessLog } from '../test/worker-process';
import type { ChildProcess } from 'node:child_process';

/** The tenant's lock lives 15 s here, renewed every 5 s. */
const TENANT_LOCK_TTL_MS = 15_000;
/**
 * Long enough to span a renewal of the tenant's lock wherever the outage falls, short enough that
 * the lock (renewed last at most 5 s before) surely outlives it, and BullMQ's own job lock (30 s,
 * renewed every 15 s) too: a longer outage is BullMQ's stalled-job recovery, which worker-kill covers.
 */
const REDIS_OUTAGE_MS = 8_000;

interface Analytics {
  analytics: { rows: unknown[]; cached: boolean };
}

// Redis stopped in the middle of a load's silver stage and started again on its port with its
// append-only file, while a gateway answers analytics beside the worker: the load resumes and is
// published once, every stage ran once, and the gateway answered throughout, uncached.
describe('Redis stopped and started again during a load', () => {
  let stack: TestStack;
  let worker: ChildProcess | undefined;
  let gateway: GatewayProcess | undefined;
  let log: ProcessLog;
  let prisma: PrismaClient;
  const analytics = '{ analytics(query: { measures: ["CourseProgress.count"], dimensions: ["CourseProgress.status"] }) { rows cached } }';

  const exportFolder = (seed: number) => exportFolderIn(stack.env, stack.dir, `export-${seed}`, { users: 400, seed });

  beforeAll(async () => {
    stack = await startTestStack({ restartable: true });
    worker = await startWorkerProcess({ ...stack.env, WORKER_TENANT_LOCK_TTL_MS: String(TENANT_LOCK_TTL_MS) });
    log = followLog(worker);
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    expect((await runCli(['tenant', 'create', 'acme', '--name', 'Acme', '--wait'], stack.env)).code).toBe(0);
    const first = await runCli(['ingest', 'acme', await exportFolder(1), '--as-of', '2025-06-30', '--json'], stack.env);
    expect((JSON.parse(first.stdout) as { status: string }).status).toBe('succeeded');
    gateway = await startGatewayProcess(stack.env, 'acme');
  });

  afterAll(async () => {
    await stopProcess(gateway?.process);
    await stopProcess(worker);
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it('resumes the load and publishes it once, each stage run once, while the gateway answers uncached', async () => {
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
    const before = await gateway!.ask<Analytics>(analytics);
    expect(before.errors).toBeUndefined();
    const rows = before.data!.analytics.rows;

    const dir = await exportFolder(2);
    const silverStarted = log.next((l) => l.msg === 'job started' && String(l.jobId).endsWith('-silver'));
    const queued = await runCli(['ingest', 'acme', dir, '--as-of', '2025-06-30', '--no-wait', '--json'], stack.env);
    const { ingestionRunId, buildRunId } = JSON.parse(queued.stdout) as { ingestionRunId: string; buildRunId: string };
    await silverStarted;
    await stack.stopServer('redis');

    // Under traffic while Redis is away: every answer is the published version's, from the warehouse.
    const outageEnds = Date.now() + REDIS_OUTAGE_MS;
    let answered = 0;
    while (Date.now() < outageEnds) {
      for (const answer of await Promise.all(Array.from({ length: 4 }, () => gateway!.ask<Analytics>(analytics)))) {
        expect(answer.errors).toBeUndefined();
        expect(answer.data!.analytics).toEqual({ rows, cached: false });
        answered++;
      }
    }
    expect(answered).toBeGreaterThan(0);
    await stack.startServer('redis');

    // The load ends on its own: no command, no worker restart.
    let build = await prisma.buildRun.findUniqueOrThrow({ where: { id: buildRunId } });
    while (build.status !== 'succeeded' && build.status !== 'failed') {
      await new Promise((r) => setTimeout(r, 500));
      build = await prisma.buildRun.findUniqueOrThrow({ where: { id: buildRunId } });
    }
    expect(build).toMatchObject({ status: 'succeeded', dataVersion: tenant.dataVersion + 1 });
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).dataVersion).toBe(tenant.dataVersion + 1);

    // Each stage ran once, to success, on its first attempt: none was enqueued or run twice.
    const stages = build.stages as unknown as { stage: string; status: string; attempt?: number }[];
    expect(stages.map((s) => [s.stage, s.status, s.attempt])).toEqual(LOAD_STAGES.map((stage) => [stage, 'succeeded', 1]));
    const jobIds = loadJobIds(ingestionRunId);
    for (const stage of LOAD_STAGES) {
      const ofJob = (event: string) => log.lines.filter((l) => l.msg === event && l.jobId === jobIds[stage]).length;
      expect([stage, ofJob('job started'), ofJob('job finished')]).toEqual([stage, 1, 1]);
    }
    const queues = new JobQueues(stack.redisUrl);
    try {
      for (const stage of LOAD_STAGES) {
        const job = await queues.queue(stage === 'ingest' ? 'ingest' : 'build').getJob(jobIds[stage]);
        expect([stage, await job?.getState()]).toEqual([stage, 'completed']);
      }
    } finally {
      await queues.close();
    }
    const audit = await prisma.auditEvent.findMany({ where: { tenantId: tenant.id, action: { in: ['load.requested', 'data.published'] } } });
    const ofRun = audit.filter((e) => JSON.stringify(e.details).includes(ingestionRunId));
    expect(ofRun.map((e) => e.action).sort()).toEqual(['data.published', 'load.requested']);

    // Bronze holds the load once; the gateway answers the new version.
    await expectBronzeOnce(stack.env, 'acme');
    let after = await gateway!.ask<Analytics>(analytics);
    while (after.errors || JSON.stringify(after.data!.analytics.rows) === JSON.stringify(rows)) {
      // The gateway learns of the new version from Postgres as its session is read again.
      await new Promise((r) => setTimeout(r, 500));
      after = await gateway!.ask<Analytics>(analytics);
      expect(after.errors).toBeUndefined();
    }
  });
});
