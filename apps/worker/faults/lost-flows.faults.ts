import path from 'node:path';
import { QueueEvents } from 'bullmq';
import pino from 'pino';
import { FileSecretStore, loadSetting } from '@kineo/config';
import { createPrismaClient, TenantService, type PrismaClient } from '@kineo/db';
import { bullConnection, enqueuePendingLoadsJob, JOB_DEFINITIONS, JobQueues, LOAD_STAGES, QUEUE_PREFIX, queueProvisioning, requestRebuild } from '@kineo/jobs';
import { DuckDbWarehouse } from '@kineo/warehouse';
import { startRedis, startTestStack, type TestStack } from '@kineo/testkit';
import { buildRegistry, JobHandlerRegistry, startWorker, type JobHandler } from '../src';
import { spawnWorkerMain, until } from '../test/support/lost-work';
import { requestLandedLoad } from '../test/support/valid-load';

// A load (or rebuild) the queue accepted and then lost (Redis back without its data) is started
// again by the worker's sweep once no handler can still be running it, and ends published with no
// command; one whose jobs are still in the queue is left alone.

const log = pino({ level: 'silent' });


/** The shortest lock the settings allow: the sweep's grace is twice it. */
const LOCK_TTL_MS = 3_000;

describe('a load whose flow Redis lost', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let warehouse: DuckDbWarehouse;
  let secrets: FileSecretStore;

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl);
    warehouse = new DuckDbWarehouse({ rootDir: path.join(stack.env.KINEO_DATA_DIR, 'warehouse'), threads: 1 });
    secrets = new FileSecretStore(path.join(stack.env.KINEO_DATA_DIR, 'secrets'));
  });

  afterAll(async () => {
    await warehouse?.close();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  /** A Redis of the test's own, so restarting it empty leaves the suite's alone. */
  async function ownRedis(name: string) {
    const options = { dir: path.join(stack.dir, name), serverBin: loadSetting('REDIS_SERVER_BIN') };
    const redis = await startRedis(options);
    // Without persistence: every job of a flow is gone, as are a queue's pause and the schedules.
    return { redis, startEmpty: () => startRedis({ ...options, port: redis.port }) };
  }

  /** A tenant provisioned by whatever worker listens on `queues`' Redis. */
  async function provisioned(queues: JobQueues, slug: string) {
    const tenant = await new TenantService(prisma).create({ slug, name: slug, actor: 'test' });
    await queueProvisioning(queues, { tenantId: tenant.id, requestedBy: 'test' });
    let status = '';
    await until(
      async () => ((status = (await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).status) === 'active' ? true : undefined),
      `tenant ${slug} to be active`,
      () => status,
    );
    return { tenantId: tenant.id, ref: { tenantId: tenant.id, namespace: tenant.namespace } };
  }

  /** The four files landed and the load requested, as `kineo ingest` does; the queue accepts it. */
  async function requestedLoad(queues: JobQueues, tenant: { tenantId: string; ref: { namespace: string } }) {
    const ticket = await requestLandedLoad(prisma, queues, stack.env.KINEO_DATA_DIR, { id: tenant.tenantId, namespace: tenant.ref.namespace });
    expect(ticket.enqueued).toBe(true);
    return ticket;
  }

  /** The load's build run once it is final. */
  async function ended(buildRunId: string, seen: () => unknown = () => undefined) {
    let last: unknown;
    return until(
      async () => {
        const build = await prisma.buildRun.findUniqueOrThrow({ where: { id: buildRunId } });
        last = { status: build.status, stages: build.stages, flowMissingSince: build.flowMissingSince };
        return build.status === 'succeeded' || build.status === 'failed' ? build : undefined;
      },
      `build run ${buildRunId} to end`,
      () => ({ build: last, also: seen() }),
    );
  }

  /** Bronze holds the load's batch once and no source line twice. */
  async function expectInBronzeOnce(ref: { tenantId: string; namespace: string }, ingestionRunId: string) {
    try {
      expect((await warehouse.query(ref, 'select count(*)::integer as n from bronze._loads where batch_id = ?', [ingestionRunId])).rows).toEqual([{ n: 1 }]);
      expect((await warehouse.query(ref, 'select count(*)::integer as n from bronze._loads')).rows).toEqual([{ n: 1 }]);
      expect((await warehouse.query(ref, 'select _source_file, _source_line, count(*) as n from bronze.users group by all having count(*) > 1')).rows).toEqual([]);
    } finally {
      await warehouse.release(ref);
    }
  }

  /** The worker's handlers, each passed through `wrap` (which may hold a stage or count its runs). */
  function registryWrapping(redisUrl: string, queues: JobQueues, wrap: (name: string, handler: JobHandler) => JobHandler) {
    const full = buildRegistry({ prisma, warehouse, secrets, queues, announce: async () => undefined, dataDir: stack.env.KINEO_DATA_DIR, tenantLockTtlMs: LOCK_TTL_MS });
    const registry = new JobHandlerRegistry();
    for (const definition of JOB_DEFINITIONS) registry.register(definition, wrap(definition.name, full.get(definition.name)!.handler));
    return startWorker({
      redisUrl,
      registry,
      definitions: JOB_DEFINITIONS,
      log,
      tenantLockTtlMs: LOCK_TTL_MS,
      afterTenantJob: async (tenantId) => {
        const tenant = await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
        await warehouse.release({ tenantId, namespace: tenant.namespace });
      },
    });
  }

  /** One run of the sweep, as its schedule would start it; its result. */
  async function sweep(queues: JobQueues, events: QueueEvents): Promise<{ started: string[]; recovered?: string[] }> {
    return (await queues.enqueue(enqueuePendingLoadsJob, {})).waitUntilFinished(events, 30_000) as Promise<{ started: string[]; recovered?: string[] }>;
  }

  /** The test as the schedule (an in-process worker declares none): sweeps until one starts `buildRunId` again, then one more, whose result it gives. */
  async function sweepUntilRecovered(queues: JobQueues, redisUrl: string, buildRunId: string) {
    const events = new QueueEvents('maintenance', { connection: bullConnection(redisUrl), prefix: QUEUE_PREFIX });
    try {
      await events.waitUntilReady();
      const sweeps: unknown[] = [];
      await until(
        async () => {
          const result = await sweep(queues, events);
          sweeps.push(result);
          return result.recovered?.includes(buildRunId) ? true : undefined;
        },
        `a sweep to recover build run ${buildRunId}`,
        () => sweeps,
      );
      return await sweep(queues, events);
    } finally {
      await events.close();
    }
  }

  it('is published without any command when Redis came back empty between two of its stages: bronze holds it once, the version moves by one, one load.recovered event', async () => {
    const { redis, startEmpty } = await ownRedis('between-stages-redis');
    let redisNow = redis;
    const worker = spawnWorkerMain({ ...stack.env, REDIS_URL: redis.url, LOG_LEVEL: 'info', WORKER_TENANT_LOCK_TTL_MS: String(LOCK_TTL_MS), LOAD_ENQUEUE_RETRY_INTERVAL_MS: '1000' });
    const { lines } = worker;
    const out = () => worker.output();
    const queues = new JobQueues(redis.url, { onError: () => undefined });
    try {
      await worker.ready();
      const tenant = await provisioned(queues, 'lost-between');
      // The build queue held: the load's ingest runs, its silver stage waits in the queue.
      await queues.queue('build').pause();
      const ticket = await requestedLoad(queues, tenant);
      let state: unknown;
      await until(
        async () => {
          const run = await prisma.ingestionRun.findUniqueOrThrow({ where: { id: ticket.ingestionRunId } });
          state = [run.status, await (await queues.queue('build').getJob(ticket.jobIds.silver))?.getState()];
          return run.status === 'succeeded' && ['waiting', 'paused'].includes(String((state as unknown[])[1])) ? true : undefined;
        },
        'the ingest to succeed and silver to wait',
        () => state,
      );
      await redis.stop();
      // Down until the worker has noticed, as after a restart or a failover: coming back is what
      // makes it declare its schedules again.
      await until(async () => (out().includes('"msg":"Redis unreachable at') ? true : undefined), 'the worker to notice Redis gone', out);
      redisNow = await startEmpty();

      const build = await ended(ticket.buildRunId, out);
      expect(build).toMatchObject({ status: 'succeeded', dataVersion: 1, flowMissingSince: null });
      expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.tenantId } })).dataVersion).toBe(1);
      const recovered = await prisma.auditEvent.findMany({ where: { tenantId: tenant.tenantId, action: 'load.recovered' } });
      expect(recovered).toHaveLength(1);
      expect(recovered[0]).toMatchObject({
        actor: 'worker',
        details: { ingestionRunId: ticket.ingestionRunId, buildRunId: ticket.buildRunId, restartedFrom: 'silver', reason: expect.stringContaining('none of its jobs were in the queue') },
      });
      expect(await prisma.auditEvent.count({ where: { tenantId: tenant.tenantId, action: 'data.published' } })).toBe(1);
      // The ingest already done was not run again; each build stage ran once after the recovery.
      const started = lines().filter((l) => l.msg === 'job started').map((l) => l.jobId);
      expect(started.filter((id) => id === ticket.jobIds.ingest)).toHaveLength(1);
      for (const stage of LOAD_STAGES.slice(1)) expect([stage, started.filter((id) => id === ticket.jobIds[stage])]).toEqual([stage, [ticket.jobIds[stage]]]);
      const warned = lines().filter((l) => l.level === 40 && l.ingestionRunId === ticket.ingestionRunId && l.tenantId === tenant.tenantId);
      expect(warned.map((l) => l.msg)).toEqual([expect.stringMatching(`^load ${ticket.ingestionRunId} of tenant ${tenant.tenantId}: none of its jobs were in the queue`)]);
    } finally {
      await queues.close();
      await worker.stop();
      await redisNow.stop();
    }
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'lost-between' } });
    const run = await prisma.ingestionRun.findFirstOrThrow({ where: { tenantId: tenant.id } });
    await expectInBronzeOnce({ tenantId: tenant.id, namespace: tenant.namespace }, run.id);
  });

  it("is ingested once, and published, when Redis came back empty while its ingest ran and the lock's renewal stopped that ingest", async () => {
    const { redis, startEmpty } = await ownRedis('mid-ingest-redis');
    let redisNow = redis;
    const queues = new JobQueues(redis.url, { onError: () => undefined });
    const ingests: ('held' | 'ran')[] = [];
    let ingestHeld: (() => void) | undefined;
    const ingestStarted = new Promise<void>((resolve) => (ingestHeld = resolve));
    // The first ingest runs until its lock's renewal stops it (it finds the lock gone with Redis's
    // data), as the real one does at its next file; any later one runs as it is.
    const worker = await registryWrapping(redis.url, queues, (name, handler) =>
      name !== 'load.ingest'
        ? handler
        : async (payload, context) => {
            if (ingests.length > 0) {
              ingests.push('ran');
              return handler(payload, context);
            }
            ingests.push('held');
            ingestHeld!();
            await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
            context.signal.throwIfAborted();
          },
    );
    try {
      const tenant = await provisioned(queues, 'lost-mid-ingest');
      const ticket = await requestedLoad(queues, tenant);
      await ingestStarted;
      await redis.stop();
      redisNow = await startEmpty();
      // The sweep after the recovery finds nothing more to do.
      expect(await sweepUntilRecovered(queues, redisNow.url, ticket.buildRunId)).toEqual({ started: [] });
      const build = await ended(ticket.buildRunId, () => ingests);
      expect(build).toMatchObject({ status: 'succeeded', dataVersion: 1 });
      expect(ingests).toEqual(['held', 'ran']);
      expect(await prisma.ingestionRun.findUniqueOrThrow({ where: { id: ticket.ingestionRunId } })).toMatchObject({ status: 'succeeded', rowsLoaded: 4n });
      const recovered = await prisma.auditEvent.findMany({ where: { tenantId: tenant.tenantId, action: 'load.recovered' } });
      expect(recovered.map((e) => e.details)).toEqual([expect.objectContaining({ ingestionRunId: ticket.ingestionRunId, restartedFrom: 'ingest' })]);
      expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.tenantId } })).dataVersion).toBe(1);
      await expectInBronzeOnce(tenant.ref, ticket.ingestionRunId);
    } finally {
      await worker.close();
      await queues.close();
      await redisNow.stop();
    }
  });

  it("is a rebuild's too: published without any command when Redis came back empty before its stages ran, one build.recovered event", async () => {
    const { redis, startEmpty } = await ownRedis('rebuild-redis');
    let redisNow = redis;
    const queues = new JobQueues(redis.url, { onError: () => undefined });
    const worker = await registryWrapping(redis.url, queues, (_name, handler) => handler);
    try {
      const tenant = await provisioned(queues, 'lost-rebuild');
      const load = await requestedLoad(queues, tenant);
      expect(await ended(load.buildRunId)).toMatchObject({ status: 'succeeded', dataVersion: 1 });
      // Held in the queue, as a rebuild behind other work is, when Redis loses its data.
      await queues.queue('build').pause();
      const rebuild = await requestRebuild(prisma, queues, { tenantId: tenant.tenantId, actor: 'test' });
      await redis.stop();
      redisNow = await startEmpty();
      await sweepUntilRecovered(queues, redisNow.url, rebuild.buildRunId);
      expect(await ended(rebuild.buildRunId)).toMatchObject({ status: 'succeeded', dataVersion: 2 });
      const recovered = await prisma.auditEvent.findMany({ where: { tenantId: tenant.tenantId, action: { in: ['load.recovered', 'build.recovered'] } } });
      expect(recovered.map((e) => [e.action, e.details])).toEqual([['build.recovered', expect.objectContaining({ buildRunId: rebuild.buildRunId, restartedFrom: 'silver' })]]);
      expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.tenantId } })).dataVersion).toBe(2);
      await expectInBronzeOnce(tenant.ref, load.ingestionRunId);
    } finally {
      await worker.close();
      await queues.close();
      await redisNow.stop();
    }
  });

  it('is never started again while one of its stages runs, however long: each stage runs once', async () => {
    const queues = new JobQueues(stack.redisUrl);
    const runs: string[] = [];
    let release: (() => void) | undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let silverHeld: (() => void) | undefined;
    const silverStarted = new Promise<void>((resolve) => (silverHeld = resolve));
    // Silver, a slow stage: it runs (holding its tenant's lock, renewing it) until the test lets it finish.
    const worker = await registryWrapping(stack.redisUrl, queues, (name, handler) =>
      name !== 'load.ingest' && name !== 'build.stage'
        ? handler
        : async (payload, context) => {
            const stage = (payload as { stage?: string }).stage ?? 'ingest';
            runs.push(stage);
            if (stage === 'silver') {
              silverHeld!();
              await released;
            }
            return handler(payload, context);
          },
    );
    const events = new QueueEvents('maintenance', { connection: bullConnection(stack.redisUrl), prefix: QUEUE_PREFIX });
    try {
      await events.waitUntilReady();
      const tenant = await provisioned(queues, 'slow-stage');
      const ticket = await requestedLoad(queues, tenant);
      await silverStarted;
      // Sweeps until the grace has passed twice over by Postgres's clock, each finding the load's
      // jobs and so never starting its wait.
      const clock = async () => (await prisma.$queryRaw<{ now: Date }[]>`select now() as now`)[0].now.getTime();
      const from = await clock();
      const sweeps: unknown[] = [];
      await until(
        async () => {
          const result = await sweep(queues, events);
          const build = await prisma.buildRun.findUniqueOrThrow({ where: { id: ticket.buildRunId } });
          sweeps.push({ result, flowMissingSince: build.flowMissingSince });
          expect(result.recovered ?? []).not.toContain(ticket.buildRunId);
          expect(build.flowMissingSince).toBeNull();
          return (await clock()) - from > 4 * LOCK_TTL_MS ? true : undefined;
        },
        'the sweeps to span the grace',
        () => sweeps,
      );
      expect(sweeps.length).toBeGreaterThanOrEqual(3);
      release!();
      expect(await ended(ticket.buildRunId, () => runs)).toMatchObject({ status: 'succeeded', dataVersion: 1 });
      expect(runs).toEqual([...LOAD_STAGES]);
      expect(await prisma.auditEvent.count({ where: { tenantId: tenant.tenantId, action: 'load.recovered' } })).toBe(0);
    } finally {
      release!();
      await events.close();
      await worker.close();
      await queues.close();
    }
  });
});
