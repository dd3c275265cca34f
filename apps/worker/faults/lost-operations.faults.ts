import fs from 'node:fs';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import Redis from 'ioredis';
import { loadSetting } from '@kineo/config';
import { createPrismaClient, TenantLifecycleService, type PrismaClient } from '@kineo/db';
import { RUN_INTERRUPTED } from '@kineo/errors';
import {
  bullConnection,
  enqueuePendingLoadsJob,
  JobQueues,
  provisionTenant,
  provisionTenantJob,
  QUEUE_PREFIX,
  queueRollupRefresh,
  requestOffboard,
  requestRollupRefresh,
  tenantOperationJobId,
  waitForTenantOperation,
} from '@kineo/jobs';
import { DuckDbWarehouse } from '@kineo/warehouse';
import { startRedis, startTestStack, type RedisServer, type TestStack } from '@kineo/testkit';
import { spawnWorkerMain, until, type WorkerProcess } from '../test/support/lost-work';
import { requestLandedLoad } from '../test/support/valid-load';

// A provisioning, an offboarding or a rollups refresh whose job the queue lost (Redis emptied in
// place before a worker took it) is queued again by the worker's sweep and ends done with no
// command; one whose job still waits in the queue is left alone.

/** The shortest lock the settings allow: the sweep's grace is twice it. */
const LOCK_TTL_MS = 3_000;

describe('a tenant operation whose job Redis lost', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let redis: RedisServer;
  let flusher: Redis;
  let queues: JobQueues;
  let worker: WorkerProcess;

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl);
    // A Redis of the suite's own, so emptying it leaves the stack's alone.
    redis = await startRedis({ dir: path.join(stack.dir, 'lost-operations-redis'), serverBin: loadSetting('REDIS_SERVER_BIN') });
    flusher = new Redis(redis.url);
    queues = new JobQueues(redis.url, { onError: () => undefined });
    worker = spawnWorkerMain({ ...stack.env, REDIS_URL: redis.url, LOG_LEVEL: 'info', WORKER_TENANT_LOCK_TTL_MS: String(LOCK_TTL_MS), LOAD_ENQUEUE_RETRY_INTERVAL_MS: '1000' });
    await worker.ready();
  });

  afterAll(async () => {
    await worker?.stop();
    await queues?.close();
    flusher?.disconnect();
    await redis?.stop();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  async function statusOf(tenantId: string, wanted: string) {
    let status = '';
    await until(
      async () => ((status = (await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).status) === wanted ? true : undefined),
      `tenant ${tenantId} to be ${wanted}`,
      () => ({ status, worker: worker.output().slice(-4000) }),
    );
  }

  /** A tenant provisioned as `kineo tenant create` does, with one load published (version 1). */
  async function publishedTenant(slug: string) {
    const { tenant } = await provisionTenant(prisma, queues, { slug, name: slug, actor: 'ops@test' });
    await statusOf(tenant.id, 'active');
    const load = await requestLandedLoad(prisma, queues, stack.env.KINEO_DATA_DIR, tenant);
    await runEnded(load.buildRunId, 'succeeded');
    return tenant;
  }

  async function runEnded(buildRunId: string, wanted: 'succeeded') {
    let last: unknown;
    const build = await until(
      async () => {
        const run = await prisma.buildRun.findUniqueOrThrow({ where: { id: buildRunId } });
        last = { status: run.status, stages: run.stages, error: run.error };
        return run.status === 'succeeded' || run.status === 'failed' ? run : undefined;
      },
      `build run ${buildRunId} to end`,
      () => ({ last, worker: worker.output().slice(-4000) }),
    );
    expect([build.status, build.error]).toEqual([wanted, null]);
    return build;
  }

  /** The worker's warnings about `tenantId`'s lost work. */
  const warnedAbout = (tenantId: string) => worker.lines().filter((l) => l.level === 40 && l.tenantId === tenantId).map((l) => l.msg);

  it('provisions a tenant whose provisioning job was lost before any worker took it: active with no command, one tenant.provision_recovered event', async () => {
    // Held in the queue, as behind other provisionings, when Redis is emptied.
    await queues.queue('provision').pause();
    const { tenant, jobId } = await provisionTenant(prisma, queues, { slug: 'lost-provision', name: 'Lost provision', actor: 'ops@test' });
    expect(await (await queues.queue('provision').getJob(jobId))?.getState()).toMatch(/^(waiting|paused)$/);
    await flusher.flushall();

    await statusOf(tenant.id, 'active');
    await runsEnded(tenant.id, 'provision');
    const recovered = await prisma.auditEvent.findMany({ where: { tenantId: tenant.id, action: 'tenant.provision_recovered' } });
    expect(recovered.map((e) => [e.actor, e.details])).toEqual([
      ['worker', expect.objectContaining({ slug: 'lost-provision', jobId, requestedBy: 'ops@test', reason: expect.stringContaining('its job was not in the queue') })],
    ]);
    expect(await prisma.auditEvent.findMany({ where: { tenantId: tenant.id, action: 'tenant.activated' }, select: { actor: true } })).toEqual([{ actor: 'worker:ops@test' }]);
    expect(await prisma.buildRun.findMany({ where: { tenantId: tenant.id, kind: 'provision' }, select: { status: true } })).toEqual([{ status: 'succeeded' }]);
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).operationMissingSince).toBeNull();
    expect(warnedAbout(tenant.id)).toEqual([expect.stringMatching(`^provisioning of tenant ${tenant.id} \\(lost-provision\\): its job was not in the queue`)]);
  });

  /**
   * What a worker killed mid-operation leaves behind for the job's next attempt (BullMQ gives the
   * stalled job to the next worker): the tenant's run of that kind still `running` in its first stage.
   */
  const leftRunning = (tenantId: string, kind: 'provision' | 'offboard') =>
    prisma.buildRun.create({
      data: { tenantId, kind, status: 'running', startedAt: new Date(), stages: [{ stage: kind === 'provision' ? 'namespace' : 'evidence', status: 'running', startedAt: new Date().toISOString() }] },
    });

  /** The tenant's runs of `kind`, oldest first, as the ops console lists them. */
  const runsOf = (tenantId: string, kind: 'provision' | 'offboard') =>
    prisma.buildRun.findMany({ where: { tenantId, kind }, orderBy: { createdAt: 'asc' }, select: { id: true, status: true, error: true, failureCode: true, finishedAt: true } });

  /** Waits for the tenant's runs of `kind` to end: its status changes a moment before its run records that it succeeded. */
  async function runsEnded(tenantId: string, kind: 'provision' | 'offboard') {
    let last: unknown;
    await until(
      async () => ((last = await runsOf(tenantId, kind)) as { status: string }[]).every((r) => r.status !== 'running') || undefined,
      `the ${kind} runs of tenant ${tenantId} to end`,
      () => ({ last, worker: worker.output().slice(-4000) }),
    );
  }

  /** The run a killed worker left is closed by the run that took over, which did the work; nothing is left running. */
  async function expectTakenOver(tenantId: string, kind: 'provision' | 'offboard', killedId: string) {
    await runsEnded(tenantId, kind);
    const runs = await runsOf(tenantId, kind);
    expect(runs.map((r) => r.status)).toEqual(['cancelled', 'succeeded']);
    const [killed, took] = runs;
    expect(killed).toEqual({
      id: killedId,
      status: 'cancelled',
      failureCode: RUN_INTERRUPTED,
      error: `Stopped before it finished: its worker stopped or lost the job, and run ${took.id} took the ${kind} over.`,
      finishedAt: expect.any(Date),
    });
  }

  it('closes the provisioning run a killed worker left running once the job runs again: cancelled, naming the run that took over and succeeded', async () => {
    await queues.queue('provision').pause();
    const { tenant } = await provisionTenant(prisma, queues, { slug: 'killed-provision', name: 'Killed provision', actor: 'ops@test' });
    const killed = await leftRunning(tenant.id, 'provision');
    await queues.queue('provision').resume();

    await statusOf(tenant.id, 'active');
    await expectTakenOver(tenant.id, 'provision', killed.id);
    // `kineo tenant create --wait` reads the runs: the cancelled one is not an attempt that failed.
    expect(await waitForTenantOperation(prisma, { tenantId: tenant.id, kind: 'provision', attempts: provisionTenantJob.attempts }, { intervalMs: 50 })).toMatchObject({ status: 'succeeded' });
  });

  it('closes the offboarding run a killed worker left running once the job runs again, the data dropped once', async () => {
    const tenant = await publishedTenant('killed-offboard');
    await queues.queue('provision').pause();
    await requestOffboard(prisma, queues, { slug: 'killed-offboard', confirm: 'killed-offboard', actor: 'ops@test' });
    const killed = await leftRunning(tenant.id, 'offboard');
    await queues.queue('provision').resume();

    await statusOf(tenant.id, 'offboarded');
    await expectTakenOver(tenant.id, 'offboard', killed.id);
    expect(await prisma.auditEvent.count({ where: { tenantId: tenant.id, action: 'tenant.offboard.evidence' } })).toBe(1);
  });

  it('leaves alone a provisioning whose job waits in the queue, however long: provisioned once, nothing recovered', async () => {
    await queues.queue('provision').pause();
    const { tenant, jobId } = await provisionTenant(prisma, queues, { slug: 'waiting-provision', name: 'Waiting provision', actor: 'ops@test' });
    const events = new QueueEvents('maintenance', { connection: bullConnection(redis.url), prefix: QUEUE_PREFIX });
    try {
      await events.waitUntilReady();
      // Sweeps (besides the worker's scheduled ones) until the grace has passed twice over by
      // Postgres's clock, each finding the job and so never starting its wait.
      const clock = async () => (await prisma.$queryRaw<{ now: Date }[]>`select now() as now`)[0].now.getTime();
      const from = await clock();
      const sweeps: unknown[] = [];
      await until(
        async () => {
          const result = await (await queues.enqueue(enqueuePendingLoadsJob, {})).waitUntilFinished(events, 30_000);
          const { operationMissingSince } = await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } });
          sweeps.push({ result, operationMissingSince });
          expect(result).not.toHaveProperty('recoveredOperations');
          expect(operationMissingSince).toBeNull();
          return (await clock()) - from > 4 * LOCK_TTL_MS ? true : undefined;
        },
        'the sweeps to span the grace',
        () => sweeps,
      );
      expect(sweeps.length).toBeGreaterThanOrEqual(3);
    } finally {
      await events.close();
    }
    expect(await (await queues.queue('provision').getJob(jobId))?.getState()).toMatch(/^(waiting|paused)$/);
    await queues.queue('provision').resume();
    await statusOf(tenant.id, 'active');
    await runsEnded(tenant.id, 'provision');
    expect(await prisma.buildRun.findMany({ where: { tenantId: tenant.id, kind: 'provision' }, select: { status: true } })).toEqual([{ status: 'succeeded' }]);
    expect(await prisma.auditEvent.count({ where: { tenantId: tenant.id, action: 'tenant.provision_recovered' } })).toBe(0);
    expect(await prisma.auditEvent.count({ where: { tenantId: tenant.id, action: 'tenant.activated' } })).toBe(1);
  });

  it('refreshes the rollups of a refresh whose job was lost before it ran: the run succeeds with no command, one build.recovered event', async () => {
    const tenant = await publishedTenant('lost-refresh');
    await queues.queue('build').pause();
    const ticket = await requestRollupRefresh(prisma, queues, { tenantId: tenant.id, actor: 'ops@test' });
    expect(await (await queues.queue('build').getJob(ticket.jobId))?.getState()).toMatch(/^(waiting|paused|prioritized)$/);
    await flusher.flushall();

    const run = await runEnded(ticket.buildRunId, 'succeeded');
    expect(run.flowMissingSince).toBeNull();
    // Nothing was stale (this release built every rollup with the load): the refresh says so and publishes nothing.
    expect(run.stages).toEqual([expect.objectContaining({ stage: 'rollups', status: 'succeeded', details: expect.objectContaining({ stale: [] }) }), expect.objectContaining({ stage: 'publish' })]);
    const recovered = await prisma.auditEvent.findMany({ where: { tenantId: tenant.id, action: { in: ['build.recovered', 'load.recovered'] } } });
    expect(recovered.map((e) => [e.action, e.actor, e.details])).toEqual([
      ['build.recovered', 'worker', expect.objectContaining({ buildRunId: ticket.buildRunId, restartedFrom: 'rollups', reason: expect.stringContaining('none of its jobs were in the queue') })],
    ]);
    expect(warnedAbout(tenant.id)).toEqual([expect.stringMatching(`^rollups refresh ${ticket.buildRunId} of tenant ${tenant.id}: none of its jobs were in the queue`)]);

    // A job of that run that turns up after all (a handler the sweep took for gone) finds the run
    // ended and leaves its record as it is.
    const events = new QueueEvents('build', { connection: bullConnection(redis.url), prefix: QUEUE_PREFIX });
    try {
      await events.waitUntilReady();
      const late = await queueRollupRefresh(queues, { tenantId: tenant.id, buildRunId: ticket.buildRunId, requestedBy: 'ops@test', jobId: `${ticket.buildRunId}-late` });
      expect(await (await queues.queue('build').getJob(late.jobId))!.waitUntilFinished(events, 30_000)).toMatchObject({ refreshed: false, reason: `run ${ticket.buildRunId} already succeeded` });
    } finally {
      await events.close();
    }
    expect((await prisma.buildRun.findUniqueOrThrow({ where: { id: ticket.buildRunId } })).stages).toEqual(run.stages);
  });

  it('leaves alone a tenant resumed after its offboarding was asked for: the job, run late, removes nothing and says why', async () => {
    const tenant = await publishedTenant('called-off');
    const ref = { tenantId: tenant.id, namespace: tenant.namespace };
    const warehouse = new DuckDbWarehouse({ rootDir: path.join(stack.env.KINEO_DATA_DIR, 'warehouse'), threads: 1 });
    const events = new QueueEvents('provision', { connection: bullConnection(redis.url), prefix: QUEUE_PREFIX });
    try {
      await events.waitUntilReady();
      // The workers are busy: the offboarding waits, and ops resume the tenant meanwhile.
      await queues.queue('provision').pause();
      const { jobId } = await requestOffboard(prisma, queues, { slug: 'called-off', confirm: 'called-off', actor: 'ops@test' });
      await new TenantLifecycleService(prisma).resume('called-off', 'ops@test');
      await queues.queue('provision').resume();
      expect(await (await queues.queue('provision').getJob(jobId))!.waitUntilFinished(events, 30_000)).toEqual({
        status: 'skipped',
        reason: 'the tenant is active: it was resumed after the offboarding was asked for, so nothing was removed',
      });
      expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).status).toBe('active');
      expect(await warehouse.isProvisioned(ref)).toBe(true);
      expect(await warehouse.publishedVersion(ref)).toBe(1);
      const actions = (await prisma.auditEvent.findMany({ where: { tenantId: tenant.id }, orderBy: { id: 'asc' } })).map((e) => e.action);
      expect(actions.slice(-3)).toEqual(['tenant.offboard_requested', 'tenant.resumed', 'tenant.offboard_skipped']);
      expect(actions).not.toContain('tenant.offboard.evidence');
      expect(warnedAbout(tenant.id)).toEqual([expect.stringMatching('^offboarding of tenant called-off skipped: the tenant is active')]);

      // The same job run later still, after ops suspended the tenant again for another reason: a
      // suspension is not a request to offboard, so it still removes nothing.
      await queues.queue('provision').pause();
      const again = await requestOffboard(prisma, queues, { slug: 'called-off', confirm: 'called-off', actor: 'ops@test' });
      await new TenantLifecycleService(prisma).resume('called-off', 'ops@test');
      await new TenantLifecycleService(prisma).suspend('called-off', 'ops@test', 'unpaid invoice');
      await queues.queue('provision').resume();
      expect(await (await queues.queue('provision').getJob(again.jobId))!.waitUntilFinished(events, 30_000)).toEqual({
        status: 'skipped',
        reason: 'the offboarding was called off: the tenant was resumed after it was asked for (and suspended again since), so nothing was removed',
      });
      expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).status).toBe('suspended');
      expect(await warehouse.publishedVersion(ref)).toBe(1);
      expect(await prisma.auditEvent.count({ where: { tenantId: tenant.id, action: 'tenant.offboard.evidence' } })).toBe(0);
    } finally {
      await events.close();
      await warehouse.close();
    }
  });

  it('offboards a tenant whose offboarding job was lost before any worker took it: its data dropped with no command, one tenant.offboard_recovered event', async () => {
    const tenant = await publishedTenant('lost-offboard');
    const ref = { tenantId: tenant.id, namespace: tenant.namespace };
    const warehouse = new DuckDbWarehouse({ rootDir: path.join(stack.env.KINEO_DATA_DIR, 'warehouse'), threads: 1 });
    try {
      expect(await warehouse.isProvisioned(ref)).toBe(true);
      await queues.queue('provision').pause();
      const { jobId } = await requestOffboard(prisma, queues, { slug: 'lost-offboard', confirm: 'lost-offboard', actor: 'ops@test' });
      expect(jobId).toBe(tenantOperationJobId('offboard', tenant.id));
      expect(await (await queues.queue('provision').getJob(jobId))?.getState()).toMatch(/^(waiting|paused)$/);
      await flusher.flushall();

      await statusOf(tenant.id, 'offboarded');
      await runsEnded(tenant.id, 'offboard');
      expect(await warehouse.isProvisioned(ref)).toBe(false);
      expect(fs.existsSync(path.join(stack.env.KINEO_DATA_DIR, 'landing', tenant.namespace))).toBe(false);
      // What was dropped is accounted for, as by an offboarding that was never lost.
      const evidence = await prisma.auditEvent.findMany({ where: { tenantId: tenant.id, action: 'tenant.offboard.evidence' } });
      expect(evidence.map((e) => e.details)).toEqual([expect.objectContaining({ namespace: tenant.namespace, publishedVersion: 1, tables: expect.arrayContaining([expect.objectContaining({ layer: 'bronze', table: 'users' })]) })]);
      const recovered = await prisma.auditEvent.findMany({ where: { tenantId: tenant.id, action: 'tenant.offboard_recovered' } });
      expect(recovered.map((e) => [e.actor, e.details])).toEqual([
        ['worker', expect.objectContaining({ slug: 'lost-offboard', jobId, requestedBy: 'ops@test', reason: expect.stringContaining('the tenant is still suspended') })],
      ]);
      expect(await prisma.auditEvent.findMany({ where: { tenantId: tenant.id, action: 'tenant.offboarded' }, select: { actor: true } })).toEqual([{ actor: 'worker:ops@test' }]);
      expect(await prisma.buildRun.findMany({ where: { tenantId: tenant.id, kind: 'offboard' }, select: { status: true } })).toEqual([{ status: 'succeeded' }]);
      expect(warnedAbout(tenant.id)).toEqual([expect.stringMatching(`^offboarding of tenant ${tenant.id} \\(lost-offboard\\): its job was not in the queue`)]);
    } finally {
      await warehouse.close();
    }
  });
});
