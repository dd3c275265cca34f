import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import Redis from 'ioredis';
import pino from 'pino';
import { z } from 'zod';
import path from 'node:path';
import { FileSecretStore, loadSetting } from '@kineo/config';
import type { PrismaClient } from '@kineo/db';
import { DuckDbWarehouse, type Warehouse } from '@kineo/warehouse';
import { bullConnection, defineJob, JOB_DEFINITIONS, type QueueName, JobQueues, provisionTenantJob, QUEUE_PREFIX, JobPayloadError, landingScanJob, landingRetentionJob, enqueuePendingLoadsJob, requestLoad, sweepCredentialsJob, queueRollupRefresh, refreshRollupsJob } from '@kineo/jobs';
import fs from 'node:fs';
import { freePort, startRedis, type TestStack } from '@kineo/testkit';
import { JobHandlerRegistry, startWorker } from '../src';
import { provisionedTenantWithWorker as provisionTenantWithWorker } from './support/tenant-worker';
import { VALID_LOAD_FILES } from './support/valid-load';
import { startWorkerSuite, stopWorkerSuite } from './support/worker-suite';

const log = pino({ level: 'silent' });

/** A job of the tests' own, on one tenant, as the product's tenant jobs are. */
const tenantTestJob = (name: string, queue: QueueName, attempts: number) =>
  defineJob({ name, queue, version: 1, attempts, schema: z.object({ tenantId: z.uuid() }) });

const files = VALID_LOAD_FILES;

/** The built worker as a process of its own, its output kept: `said` finds the log lines carrying a message. */
function runWorkerMain(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'dist', 'main.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { out: '', err: '' };
  child.stdout.on('data', (d) => (output.out += d));
  child.stderr.on('data', (d) => (output.err += d));
  const said = (msg: string) => output.out.split('\n').filter((line) => line.includes(`"msg":"${msg}`));
  return { child, output, said };
}

describe('the worker\'s queues and lifecycle', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let queues: JobQueues;
  let warehouse: DuckDbWarehouse;
  let secrets: FileSecretStore;
  // No test here reads what a publish announced.
  const announce = async () => undefined;

  beforeAll(async () => {
    ({ stack, prisma, queues, warehouse, secrets } = await startWorkerSuite());
  });

  afterAll(async () => stopWorkerSuite({ stack, prisma, queues, warehouse }));

  const harness = () => ({ stack, prisma, queues, secrets, announce, log });
  const provisionedTenantWithWorker = (slug: string, name: string, wh: Warehouse = warehouse) => provisionTenantWithWorker(harness(), slug, name, wh);

  it('records a load requested while Redis is down, answers within the enqueue timeout, and starts it once the queue is back', async () => {
    const { tenant, events, close } = await provisionedTenantWithWorker('outbox', 'Outbox Co');
    // Nothing listens on this port: every queue command waits, as it does while Redis is down.
    const down = new JobQueues(`redis://127.0.0.1:${await freePort()}`);
    try {
      const ingestionRunId = randomUUID();
      const dir = path.join(stack.env.KINEO_DATA_DIR, 'landing', tenant.namespace, ingestionRunId);
      fs.mkdirSync(dir, { recursive: true });
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
      const ticket = await requestLoad(
        prisma,
        down,
        { tenantId: tenant.id, ingestionRunId, files: Object.keys(files).map((name) => ({ name, path: path.join(dir, name) })), source: 'cli', requestedBy: 'test' },
        { enqueueTimeoutMs: 300 },
      );
      expect(ticket).toMatchObject({ ingestionRunId, enqueued: false });
      // Recorded in full, waiting for the queue: the run, its build with every stage pending, the audit event.
      expect(await prisma.ingestionRun.findUniqueOrThrow({ where: { id: ingestionRunId } })).toMatchObject({ status: 'queued', enqueuedAt: null });
      expect(await prisma.buildRun.findUniqueOrThrow({ where: { id: ticket.buildRunId } })).toMatchObject({ status: 'queued' });
      expect(await prisma.auditEvent.count({ where: { tenantId: tenant.id, action: 'load.requested' } })).toBe(1);

      const sweep = await (await queues.enqueue(enqueuePendingLoadsJob, {})).waitUntilFinished(events, 30_000);
      expect(sweep).toEqual({ started: [ingestionRunId] });
      // A second sweep finds nothing left to start.
      expect(await (await queues.enqueue(enqueuePendingLoadsJob, {})).waitUntilFinished(events, 30_000)).toEqual({ started: [] });
      let build;
      for (let i = 0; i < 300; i++) {
        build = await prisma.buildRun.findUniqueOrThrow({ where: { id: ticket.buildRunId } });
        if (build.status === 'succeeded' || build.status === 'failed') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(build).toMatchObject({ status: 'succeeded', dataVersion: 1 });
      expect(await prisma.ingestionRun.findUniqueOrThrow({ where: { id: ingestionRunId } })).toMatchObject({
        status: 'succeeded',
        rowsLoaded: 4n,
        enqueuedAt: expect.any(Date),
      });
    } finally {
      void down.close().catch(() => undefined);
      await close();
    }
  });

  it('refuses a job payload without a valid tenant id, at enqueue time', async () => {
    await expect(
      queues.enqueue(provisionTenantJob, { tenantId: 'not-a-uuid', requestedBy: 'x' } as never),
    ).rejects.toThrow(JobPayloadError);
    await expect(
      queues.enqueue(provisionTenantJob, { tenantId: 'not-a-uuid', requestedBy: 'x' } as never),
    ).rejects.toThrow(/tenantId must be a UUID/);
  });

  it('fails a job whose payload is invalid when it is processed, at once and without calling its handler', async () => {
    const calls: unknown[] = [];
    const registry = new JobHandlerRegistry().register(provisionTenantJob, async (payload) => void calls.push(payload));
    const worker = await startWorker({ redisUrl: stack.redisUrl, registry, definitions: [provisionTenantJob], log });
    const events = new QueueEvents('provision', { connection: bullConnection(stack.redisUrl), prefix: QUEUE_PREFIX });
    try {
      await events.waitUntilReady();
      // Written straight to the queue, as a producer that skipped validation (or an older one) would.
      const stale = await queues.queue('provision').add(provisionTenantJob.name, { v: 1, data: { tenantId: 'acme', requestedBy: 'x' } }, { attempts: 5 });
      await expect(stale.waitUntilFinished(events, 30_000)).rejects.toThrow(/Invalid payload for job "tenant.provision": tenantId: tenantId must be a UUID/);
      const older = await queues.queue('provision').add(provisionTenantJob.name, { v: 0, data: { tenantId: '00000000-0000-4000-8000-000000000009', requestedBy: 'x' } }, { attempts: 5 });
      await expect(older.waitUntilFinished(events, 30_000)).rejects.toThrow('version 0 is not the supported 1');
      for (const job of [stale, older]) expect((await queues.queue('provision').getJob(job.id!))?.attemptsMade).toBe(1);
      expect(calls).toEqual([]);
    } finally {
      await events.close();
      await worker.close();
    }
  });

  it('tells a job whose record Redis lost while it ran as a warning naming the job, not as a connection error', async () => {
    const said: { level: number; msg: string; jobId?: string }[] = [];
    const captured = pino({ level: 'warn' }, { write: (line: string) => void said.push(JSON.parse(line) as { level: number; msg: string; jobId?: string }) });
    const redis = new Redis(stack.redisUrl);
    // The handler deletes its own job's record, as a Redis restarted without its data would have.
    const registry = new JobHandlerRegistry().register(provisionTenantJob, async (_payload, { job }) => void (await redis.del(`${QUEUE_PREFIX}:provision:${job.id}`)));
    const worker = await startWorker({ redisUrl: stack.redisUrl, registry, definitions: [provisionTenantJob], log: captured });
    try {
      const job = await queues.enqueue(provisionTenantJob, { tenantId: randomUUID(), requestedBy: 'x' });
      const gone = () => said.filter((line) => line.jobId === job.id);
      while (gone().length === 0) await new Promise((r) => setTimeout(r, 50));
      // Each step BullMQ then tries on the job (finishing it, or handing it back) finds it gone: every
      // line about it is the warning.
      for (const line of gone()) {
        expect(line).toEqual(
          expect.objectContaining({ level: 40, queue: 'provision', msg: `job ${job.id} was gone from Redis when its outcome was recorded: Redis lost its data while it ran, so the outcome is not kept` }),
        );
      }
      expect(said.filter((line) => line.msg === 'queue connection error')).toEqual([]);
    } finally {
      await worker.close();
      redis.disconnect();
    }
  });

  it('refuses to start when a known job has no handler, naming the job', async () => {
    await expect(
      startWorker({ redisUrl: stack.redisUrl, registry: new JobHandlerRegistry(), definitions: JOB_DEFINITIONS, log }),
    ).rejects.toThrow(/job "tenant.provision" has no handler; job "tenant.offboard" has no handler; job "load.ingest" has no handler/);
  });

  it('refuses to start when a job has two handlers', async () => {
    const registry = new JobHandlerRegistry()
      .register(provisionTenantJob, async () => undefined)
      .register(provisionTenantJob, async () => undefined);
    await expect(
      startWorker({ redisUrl: stack.redisUrl, registry, definitions: [provisionTenantJob], log }),
    ).rejects.toThrow('job "tenant.provision" has 2 handlers');
  });

  it('rides out a rolling deploy: a job an older worker has no handler for goes back to its queue until a worker that knows it runs it; one no worker takes within the bound fails naming it, and queueing its refresh again replaces the failed job', async () => {
    // The older release: a worker on the build queue whose registry has no rollups.refresh handler.
    const olderJob = tenantTestJob('test.older-build', 'build', 1);
    const said: { msg: string; job?: string }[] = [];
    const olderLog = pino({ level: 'warn' }, { write: (line: string) => void said.push(JSON.parse(line) as { msg: string; job?: string }) });
    const older = await startWorker({
      redisUrl: stack.redisUrl,
      registry: new JobHandlerRegistry().register(olderJob, async () => undefined),
      definitions: [olderJob],
      log: olderLog,
      // Offered again every 50-300 ms whatever the job's age, so the newer worker below takes it in a few
      // offers however long the machine made the older one hold it (the wait grows with the age otherwise).
      unknownJobs: { retryFirstMs: 50, retryMaxMs: 50, maxAgeMs: 3600_000 },
    });
    const newerRan: string[] = [];
    const newerRegistry = new JobHandlerRegistry().register(refreshRollupsJob, async (payload) => {
      newerRan.push(payload.tenantId);
      return { refreshed: true };
    });
    const events = new QueueEvents('build', { connection: bullConnection(stack.redisUrl), prefix: QUEUE_PREFIX });
    let newer: Awaited<ReturnType<typeof startWorker>> | undefined;
    try {
      await events.waitUntilReady();
      const tenantId = randomUUID();
      const jobId = `rollups-${tenantId}-v1-rolling`;
      const handedBack: string[] = [];
      events.on('delayed', ({ jobId: id }) => void (id === jobId && handedBack.push(id)));
      const first = await queueRollupRefresh(queues, { tenantId, requestedBy: 'worker', jobId });
      expect(first).toEqual({ jobId, replaced: null });
      // Only the older worker runs: the job keeps coming back to the queue, never failed.
      while (handedBack.length < 3) await new Promise((r) => setTimeout(r, 25));
      const waiting = (await queues.queue('build').getJob(jobId))!;
      expect(['delayed', 'prioritized', 'waiting', 'active']).toContain(await waiting.getState());
      expect(waiting.attemptsMade).toBe(0);
      // The newer release starts beside it and takes the job.
      newer = await startWorker({ redisUrl: stack.redisUrl, registry: newerRegistry, definitions: [refreshRollupsJob], log });
      expect(await waiting.waitUntilFinished(events, 30_000)).toEqual({ refreshed: true });
      expect(newerRan).toEqual([tenantId]);
      // Told once for the job name, not at each of its hand-backs.
      expect(said.filter((l) => l.job === 'rollups.refresh').map((l) => l.msg)).toEqual([
        'no handler for job "rollups.refresh": handed back to its queue for a worker that knows it (a rolling deploy?); offered again with a backoff, failed 1 h after its creation',
      ]);
      await newer.close();
      newer = undefined;
      // A newer version of a job it knows is handed back the same way, not failed as an invalid payload.
      const newerVersion = await queues.queue('build').add(olderJob.name, { v: 2, data: { tenantId } }, { attempts: 1 });
      while (!said.some((l) => l.job === olderJob.name)) await new Promise((r) => setTimeout(r, 25));
      expect(said.find((l) => l.job === olderJob.name)?.msg).toMatch(/^no handler for version 2 of job "test.older-build" \(this worker knows version 1\): handed back to its queue/);
      expect((await queues.queue('build').getJob(newerVersion.id!))!.failedReason).toBeFalsy();
      // remove() refuses it in the moment the older worker holds it (locked); it is soon back in the queue.
      while ((await queues.queue('build').remove(newerVersion.id!).catch(() => 0)) !== 1) await new Promise((r) => setTimeout(r, 25));

      // A job no worker took within the bound (created two hours ago) is failed, naming it and the bound.
      const orphanTenant = randomUUID();
      const orphanId = `rollups-${orphanTenant}-v1-rolling`;
      const orphan = await queues.queue('build').add(
        refreshRollupsJob.name,
        { v: refreshRollupsJob.version, data: { tenantId: orphanTenant, requestedBy: 'worker' } },
        { jobId: orphanId, attempts: 3, timestamp: Date.now() - 2 * 3600_000 },
      );
      await expect(orphan.waitUntilFinished(events, 30_000)).rejects.toThrow(
        'no worker took job "rollups.refresh" on queue "build" within 1 h of its creation (this one has no handler for it); was it queued by a release no longer running?',
      );
      await older.close();
      // Queueing that refresh again (the next start's scan) removes the failed job and queues it anew,
      // saying what it replaced; the newer worker runs it.
      const again = await queueRollupRefresh(queues, { tenantId: orphanTenant, requestedBy: 'worker', jobId: orphanId });
      expect(again).toMatchObject({ jobId: orphanId, replaced: { jobId: orphanId, state: 'failed', reason: expect.stringMatching(/^no worker took job "rollups.refresh"/) } });
      expect(await (await queues.queue('build').getJob(orphanId))!.getState()).toBe('prioritized');
      newer = await startWorker({ redisUrl: stack.redisUrl, registry: newerRegistry, definitions: [refreshRollupsJob], log });
      expect(await (await queues.queue('build').getJob(orphanId))!.waitUntilFinished(events, 30_000)).toEqual({ refreshed: true });
      // A completed one of the same id is replaced too (asked again, the rollups are still stale); a queued one is not.
      await newer.close();
      newer = undefined;
      expect(await queueRollupRefresh(queues, { tenantId: orphanTenant, requestedBy: 'worker', jobId: orphanId })).toMatchObject({ replaced: { state: 'completed', reason: null } });
      expect(await queueRollupRefresh(queues, { tenantId: orphanTenant, requestedBy: 'worker', jobId: orphanId })).toEqual({ jobId: orphanId, replaced: null });
      expect((await queues.queue('build').getJobs(['prioritized', 'waiting'])).filter((j) => j.id === orphanId)).toHaveLength(1);
      await queues.queue('build').remove(orphanId);
    } finally {
      await events.close();
      await newer?.close();
      await older.close();
    }
  });

  it('finishes the job in hand before it shuts down', async () => {
    const slowJob = tenantTestJob('test.slow', 'maintenance', 1);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const hasStarted = new Promise<void>((resolve) => (started = resolve));
    const registry = new JobHandlerRegistry().register(slowJob, async () => {
      started();
      await released;
      return 'done';
    });
    const worker = await startWorker({ redisUrl: stack.redisUrl, registry, definitions: [slowJob], log });
    const job = await queues.enqueue(slowJob, { tenantId: '00000000-0000-4000-8000-000000000001' });
    await hasStarted;
    let closed = false;
    const closing = worker.close().then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    release();
    await closing;
    const finished = await queues.queue('maintenance').getJob(job.id!);
    expect(await finished!.getState()).toBe('completed');
    expect(finished!.returnvalue).toBe('done');
  });

  it('stops a job whose tenant lock expired under it, so a second writer cannot overlap, and retries it', async () => {
    const tenantId = '00000000-0000-4000-8000-000000000002';
    const lockKey = `kineo:lock:tenant:${tenantId}`;
    const writerJob = tenantTestJob('test.writer', 'maintenance', 2);
    const redis = new Redis(stack.redisUrl);
    const attempts: { attempt: number; stoppedBecause?: string }[] = [];
    let firstStarted!: () => void;
    const hasStarted = new Promise<void>((resolve) => (firstStarted = resolve));
    const registry = new JobHandlerRegistry().register(writerJob, async (_payload, context) => {
      const attempt = context.job.attemptsMade + 1;
      attempts.push({ attempt });
      if (attempt > 1) return 'written once, by the one writer';
      firstStarted();
      // The first attempt works until told it is no longer the tenant's writer.
      await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
      attempts[0].stoppedBecause = (context.signal.reason as Error).message;
      // Even a handler that ignores the signal and returns does not complete the job.
      return 'written without the lock';
    });
    const worker = await startWorker({ redisUrl: stack.redisUrl, registry, definitions: [writerJob], log, tenantLockTtlMs: 900 });
    const events = new QueueEvents('maintenance', { connection: bullConnection(stack.redisUrl), prefix: QUEUE_PREFIX });
    try {
      await events.waitUntilReady();
      const job = await queues.enqueue(writerJob, { tenantId });
      await hasStarted;
      // The lock expires under the running job and another holder takes it.
      await redis.set(lockKey, 'another-worker', 'PX', 60_000);
      let recorded = job;
      while (recorded.attemptsMade < 1) {
        await new Promise((r) => setTimeout(r, 50));
        recorded = (await queues.queue('maintenance').getJob(job.id!))!;
      }
      expect(recorded.failedReason).toMatch(new RegExp(`lost the lock on tenant ${tenantId}`));
      expect(attempts[0].stoppedBecause).toMatch(/lost the lock/);
      // The stopped job does not release a lock that is no longer its own.
      expect(await redis.get(lockKey)).toBe('another-worker');
      await redis.del(lockKey);
      expect(await job.waitUntilFinished(events, 30_000)).toBe('written once, by the one writer');
      expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    } finally {
      await events.close();
      await worker.close();
      await redis.quit();
    }
  });

  it('exits with a clear message naming the bad setting', async () => {
    const main = path.join(__dirname, '..', 'dist', 'main.js');
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [main], {
        env: { ...process.env, ...stack.env, REDIS_URL: 'http://nope', LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (c) => resolve({ code: c, stderr: err }));
    });
    expect(code).toBe(1);
    expect(stderr).toContain('REDIS_URL');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('rides out Redis stopped and started again empty: one warning naming it, one line when it is back, its schedules declared again, nothing on stderr; then stops on SIGTERM within its grace', async () => {
    // A Redis of its own, so stopping it leaves the suite's alone.
    const redisOptions = { dir: path.join(stack.dir, 'outage-redis'), serverBin: loadSetting('REDIS_SERVER_BIN') };
    let redis = await startRedis(redisOptions);
    const graceMs = 1_000;
    const { child, output, said } = runWorkerMain({ ...stack.env, REDIS_URL: redis.url, LOG_LEVEL: 'info', WORKER_SHUTDOWN_GRACE_MS: String(graceMs) });
    // Gives up well inside the test's own time limit, with what the worker said, so a failure shows why.
    const until = async (done: () => boolean, what: string) => {
      const giveUpAt = Date.now() + 45_000;
      while (!done()) {
        if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}: ${output.out}${output.err}`);
        if (Date.now() > giveUpAt) throw new Error(`worker did not say "${what}" within 45 s; it said:\n${output.out}${output.err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(() => said('worker ready').length > 0, 'worker ready');
      await redis.stop();
      await until(() => said('Redis unreachable at').length > 0, 'Redis unreachable at');
      // Every connection retries several times meanwhile (ioredis backs off from 50 ms).
      await new Promise((r) => setTimeout(r, 1500));
      // Without persistence, as a Redis restarted without its data or an empty replica promoted.
      redis = await startRedis({ ...redisOptions, port: redis.port });
      await until(() => said('Redis reachable again at').length > 0, 'Redis reachable again at');
      // The landing scans and the pending-loads sweep run again, not only after the worker restarts.
      await until(() => said('schedules declared again after the Redis outage').length > 0, 'schedules declared again after the Redis outage');
      const maintenance = new Queue('maintenance', { connection: bullConnection(redis.url), prefix: QUEUE_PREFIX });
      try {
        const schedules = (await maintenance.getJobSchedulers()).map((s) => s.name).sort();
        expect(schedules).toEqual([enqueuePendingLoadsJob.name, landingRetentionJob.name, landingScanJob.name, sweepCredentialsJob.name].sort());
      } finally {
        await maintenance.close();
      }
      // Right after the outage BullMQ's close() used to hang (its blocking connection still in
      // reconnect backoff), so the worker never stopped: it must now stop within its grace.
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      child.kill('SIGTERM');
      // The grace, then a few seconds for the connections to close on a loaded machine; a
      // hung worker never exits, so the bound only decides when the test gives up.
      let giveUp: NodeJS.Timeout | undefined;
      const verdict = await Promise.race([
        exited,
        new Promise<'still running'>((resolve) => (giveUp = setTimeout(() => resolve('still running'), graceMs + 10_000))),
      ]);
      clearTimeout(giveUp);
      expect(verdict).toEqual({ code: 0, signal: null });
      expect(said('stopped')).toHaveLength(1);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      await redis.stop();
    }
    const address = `127.0.0.1:${redis.port}`;
    expect(said('Redis unreachable at')).toEqual([expect.stringContaining(`"msg":"Redis unreachable at ${address}, retrying"`)]);
    expect(said('Redis reachable again at')).toEqual([expect.stringContaining(`"msg":"Redis reachable again at ${address}"`)]);
    // A job that was running when Redis went is told as such (its outcome could not be kept), not
    // as a connection error.
    expect(said('queue connection error')).toEqual([]);
    expect(output.err).toBe('');
  });

  it('declares its schedules again when Redis is emptied in place (FLUSHALL), which no connection notices as an outage', async () => {
    const redis = await startRedis({ dir: path.join(stack.dir, 'flushed-redis'), serverBin: loadSetting('REDIS_SERVER_BIN') });
    const { child, output, said } = runWorkerMain({ ...stack.env, REDIS_URL: redis.url, LOG_LEVEL: 'info', LOAD_ENQUEUE_RETRY_INTERVAL_MS: '1000' });
    const maintenance = new Queue('maintenance', { connection: bullConnection(redis.url), prefix: QUEUE_PREFIX });
    const scheduled = async () => (await maintenance.getJobSchedulers()).map((s) => s.name).sort();
    const expected = [enqueuePendingLoadsJob.name, landingRetentionJob.name, landingScanJob.name, sweepCredentialsJob.name].sort();
    const until = async (done: () => boolean | Promise<boolean>, what: string) => {
      const giveUpAt = Date.now() + 45_000;
      while (!(await done())) {
        if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}: ${output.out}${output.err}`);
        if (Date.now() > giveUpAt) throw new Error(`${what} did not happen within 45 s; the worker said:\n${output.out}${output.err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const flusher = new Redis(redis.url);
    try {
      await until(() => said('worker ready').length > 0, 'worker ready');
      await until(async () => (await scheduled()).length === expected.length, 'the first declaration');
      await flusher.flushall();
      expect(await scheduled()).toEqual([]);
      await until(() => said('schedules missing from Redis (emptied without an outage?) were declared again').length > 0, 'the schedules declared again');
      expect(await scheduled()).toEqual(expected);
      // No connection failed: nothing was seen as an outage.
      expect(said('Redis unreachable at')).toEqual([]);
      expect(output.err).toBe('');
    } finally {
      flusher.disconnect();
      await maintenance.close();
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      await redis.stop();
    }
  });

  it('stops cleanly on SIGTERM', async () => {
    const main = path.join(__dirname, '..', 'dist', 'main.js');
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, ...stack.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('worker ready')) resolve();
      });
      child.on('exit', (c) => reject(new Error(`worker exited early with ${c}: ${out}`)));
    });
    child.removeAllListeners('exit');
    const exit = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(out).toContain('"msg":"stopped"');
  });
});
