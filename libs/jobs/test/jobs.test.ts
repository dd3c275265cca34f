import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPrismaClient, TenantService, type PrismaClient } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import {
  BUILD_STAGE_NAMES,
  bullConnection,
  buildStageJob,
  findJobDefinition,
  ingestLoadJob,
  JOB_DEFINITIONS,
  JobPayloadError,
  JobQueues,
  landingScanJob,
  LOAD_STAGES,
  parsePayload,
  provisionTenantJob,
  QUEUE_PREFIX,
  QUEUES,
  requestLoad,
} from '../src';

describe('job definitions', () => {
  it('names every job once, each on a queue that exists, with at least one attempt', () => {
    const names = JOB_DEFINITIONS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const d of JOB_DEFINITIONS) {
      expect(QUEUES).toContain(d.queue);
      expect(d.attempts).toBeGreaterThanOrEqual(1);
      expect(findJobDefinition(d.name)).toBe(d);
    }
    expect(findJobDefinition('tenant.provision.v2')).toBeUndefined();
  });

  it('reads a Redis URL the way BullMQ needs it: credentials decoded, database, TLS for rediss', () => {
    expect(bullConnection('rediss://worker:p%40ss@cache.example.org:6380/3')).toEqual({
      host: 'cache.example.org',
      port: 6380,
      username: 'worker',
      password: 'p@ss',
      db: 3,
      tls: {},
      maxRetriesPerRequest: null,
    });
    expect(bullConnection('redis://127.0.0.1')).toMatchObject({ port: 6379, db: 0, tls: undefined, username: undefined });
  });
});

describe('a job payload as the worker reads it back', () => {
  const tenantId = '00000000-0000-4000-8000-000000000001';

  it('is the data inside the envelope, checked against the schema', () => {
    expect(parsePayload(provisionTenantJob, { v: 1, data: { tenantId, requestedBy: 'ops' } })).toEqual({ tenantId, requestedBy: 'ops' });
  });

  it('is refused, naming each field and what is wrong with it', () => {
    const error = (() => {
      try {
        parsePayload(provisionTenantJob, { v: 1, data: { tenantId: 'acme', requestedBy: '', extra: 1 } });
      } catch (e) {
        return e as JobPayloadError;
      }
    })();
    expect(error).toBeInstanceOf(JobPayloadError);
    expect(error?.code).toBe('JOB_PAYLOAD_INVALID');
    expect(error?.message).toMatch(/^Invalid payload for job "tenant.provision": /);
    expect(error?.message).toContain('tenantId: tenantId must be a UUID');
    expect(error?.message).toMatch(/requestedBy: Too small/);
    expect(error?.message).toMatch(/\(payload\): Unrecognized key: "extra"/);
  });

  it('is refused when it was written for another version of the job', () => {
    expect(() => parsePayload(provisionTenantJob, { v: 2, data: { tenantId, requestedBy: 'ops' } })).toThrow(
      'Invalid payload for job "tenant.provision": version 2 is not the supported 1',
    );
  });

  it("is read when the release before queued it, in a version the job's schema still reads, and refused in one it does not", () => {
    // A load queued before a deploy (its files without `uploadedAs`) runs on the worker after it.
    const files = [{ path: '/landing/t/run/users.csv', name: 'users.csv' }];
    const load = { tenantId, ingestionRunId: tenantId, buildRunId: tenantId, files, source: 'upload' };
    expect(ingestLoadJob.version).toBe(2);
    expect(parsePayload(ingestLoadJob, { v: 1, data: load })).toMatchObject({ files });
    expect(() => parsePayload(ingestLoadJob, { v: 3, data: load })).toThrow(
      'Invalid payload for job "load.ingest": version 3 is not the supported 2 (nor the older 1 it still reads)',
    );
  });

  it('is read as the current version when it has no envelope', () => {
    expect(parsePayload(provisionTenantJob, { tenantId, requestedBy: 'ops' })).toEqual({ tenantId, requestedBy: 'ops' });
  });
});

describe('queues on real Redis', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let queues: JobQueues;

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl);
    queues = new JobQueues(stack.redisUrl);
  });

  afterAll(async () => {
    await queues?.close();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it('enqueues a valid payload wrapped with its job version and the job\'s retry policy', async () => {
    const tenantId = randomUUID();
    const job = await queues.enqueue(provisionTenantJob, { tenantId, requestedBy: 'cli:root' });
    const stored = await queues.queue('provision').getJob(job.id!);
    expect(stored?.name).toBe('tenant.provision');
    expect(stored?.data).toEqual({ v: 1, data: { tenantId, requestedBy: 'cli:root' } });
    expect(stored?.opts).toMatchObject({ attempts: 5, backoff: { type: 'exponential', delay: 1000 } });
    expect(parsePayload(provisionTenantJob, stored?.data)).toEqual({ tenantId, requestedBy: 'cli:root' });
  });

  it('refuses an invalid payload at enqueue time and puts nothing in Redis', async () => {
    const before = await queues.queue('ingest').count();
    await expect(
      queues.enqueue(ingestLoadJob, { tenantId: randomUUID(), ingestionRunId: randomUUID(), buildRunId: randomUUID(), files: [], source: 'cli' }),
    ).rejects.toThrow(/Invalid payload for job "load.ingest": files: Too small/);
    await expect(
      queues.enqueue(ingestLoadJob, {
        tenantId: randomUUID(),
        ingestionRunId: 'run-1',
        buildRunId: randomUUID(),
        files: [{ path: '/landing/x.csv', name: 'x.csv' }],
        source: 'email',
      } as never),
    ).rejects.toThrow(/ingestionRunId: .*; source: /);
    expect(await queues.queue('ingest').count()).toBe(before);
  });

  it('keeps one schedule for a job however often it is declared', async () => {
    await queues.schedule(landingScanJob, {}, 60_000);
    await queues.schedule(landingScanJob, {}, 30_000);
    const schedulers = await queues.queue('maintenance').getJobSchedulers();
    expect(schedulers.map((s) => [s.name, s.every])).toEqual([['landing.scan', 30000]]);
  });

  it('records a load and queues its flow: ingest first, then each build stage, each failing the steps after it', async () => {
    const tenant = await new TenantService(prisma).create({ slug: 'flow-co', name: 'Flow Co', actor: 'test' });
    const ingestionRunId = randomUUID();
    // requestLoad counts the files' rows against the plan, so they must exist.
    const folder = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-jobs-')), tenant.namespace, ingestionRunId);
    fs.mkdirSync(folder, { recursive: true });
    // courses.csv as a browser names its second download, landed under a safe name: the record and the audit say the name sent.
    const files = [{ name: 'users.csv' }, { name: 'courses__1_.csv', uploadedAs: 'courses (1).csv' }].map((file) => {
      fs.writeFileSync(path.join(folder, file.name), 'id\n1\n2\n');
      return { path: path.join(folder, file.name), ...file };
    });
    const asOf = new Date('2025-06-30T00:00:00Z');
    const ticket = await requestLoad(prisma, queues, { tenantId: tenant.id, ingestionRunId, files, source: 'cli', requestedBy: 'cli:root', asOf });

    expect(ticket).toEqual({
      ingestionRunId,
      buildRunId: expect.any(String),
      asOf: asOf.toISOString(),
      jobIds: Object.fromEntries(LOAD_STAGES.map((s) => [s, `${ingestionRunId}-${s}`])),
      enqueued: true,
    });
    const run = await prisma.ingestionRun.findUniqueOrThrow({ where: { id: ingestionRunId } });
    expect(run).toMatchObject({ tenantId: tenant.id, status: 'queued', source: 'cli', requestedBy: 'cli:root', files: [{ file: 'users.csv' }, { file: 'courses (1).csv' }], enqueuedAt: expect.any(Date) });
    const build = await prisma.buildRun.findUniqueOrThrow({ where: { id: ticket.buildRunId } });
    expect(build).toMatchObject({ kind: 'load', status: 'queued', ingestionRunId, asOf, startedAt: null });
    expect(build.stages).toEqual(LOAD_STAGES.map((stage) => ({ stage, status: 'pending' })));
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: tenant.id, action: 'load.requested' } });
    expect(audit.details).toEqual({ ingestionRunId, source: 'cli', files: ['users.csv', 'courses (1).csv'], asOf: asOf.toISOString() });

    // Only the ingest job can run; every build stage waits for the step before it.
    const ingest = await queues.queue('ingest').getJob(ticket.jobIds.ingest);
    expect(await ingest?.getState()).toBe('waiting');
    expect(ingest?.data).toEqual({
      v: ingestLoadJob.version,
      data: { tenantId: tenant.id, ingestionRunId, buildRunId: ticket.buildRunId, files, source: 'cli' },
    });
    let child = ingest!;
    for (const stage of BUILD_STAGE_NAMES) {
      const job = await queues.queue('build').getJob(ticket.jobIds[stage]);
      expect({ stage, state: await job?.getState() }).toEqual({ stage, state: 'waiting-children' });
      expect(job?.data).toEqual({
        v: buildStageJob.version,
        data: { tenantId: tenant.id, buildRunId: ticket.buildRunId, ingestionRunId, stage, asOf: asOf.toISOString() },
      });
      expect(child.parentKey).toBe(`${QUEUE_PREFIX}:build:${job!.id}`);
      expect(child.opts).toMatchObject({ failParentOnFailure: true, attempts: findJobDefinition(child.name)!.attempts });
      child = job!;
    }
    // The last stage (publish) is the root of the flow.
    expect(child.data.data.stage).toBe('publish');
    expect(child.parentKey).toBeUndefined();
    expect((await queues.counts()).build).toMatchObject({ waiting: 0, active: 0 });
  });

  it('refuses a load flow with a bad step before anything reaches Redis', async () => {
    const before = { ingest: await queues.queue('ingest').count(), build: await queues.queue('build').count() };
    await expect(
      queues.enqueueLoadFlow({
        tenantId: randomUUID(),
        ingestionRunId: randomUUID(),
        buildRunId: randomUUID(),
        files: [{ path: '/landing/users.csv', name: 'users.csv' }],
        source: 'cli',
        asOf: 'yesterday',
      }),
    ).rejects.toThrow(/Invalid payload for job "build.stage": asOf: /);
    expect({ ingest: await queues.queue('ingest').count(), build: await queues.queue('build').count() }).toEqual(before);
  });
});
