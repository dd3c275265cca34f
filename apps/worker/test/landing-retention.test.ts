import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import pino from 'pino';
import { FileSecretStore } from '@kineo/config';
import { createPrismaClient, setLandingRetention, TenantService, type PrismaClient, type Tenant } from '@kineo/db';
import { DuckDbWarehouse } from '@kineo/warehouse';
import { bullConnection, JOB_DEFINITIONS, JobQueues, landingRetentionJob, QUEUE_PREFIX } from '@kineo/jobs';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { buildRegistry, startWorker } from '../src';
import { LocalLandingStore } from '@kineo/landing';
import { sweepLanding } from '../src/modules/landing/landing-retention.job';
import { landingScanHandler } from '../src/modules/landing/landing-scan.job';
import type { JobContext } from '../src/engine/job-handler.registry';

const DAY = 24 * 3600 * 1000;
// The sweep's clock is the test's: every age below is counted from this instant, never from now.
const T0 = new Date('2026-03-01T12:00:00Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);

describe('landing retention', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let acme: Tenant;
  let globex: Tenant;
  const landing = (tenant: Tenant, ...parts: string[]) => path.join(stack.env.KINEO_DATA_DIR, 'landing', tenant.namespace, ...parts);

  /** A load's landing folder with its files, last written at T0, and its run as the worker left it. */
  async function landedLoad(tenant: Tenant, status: 'failed' | 'succeeded' | 'running' | null) {
    const run = status
      ? await prisma.ingestionRun.create({
          data: { tenantId: tenant.id, source: 'cli', status, createdAt: T0, finishedAt: status === 'running' ? null : T0 },
        })
      : { id: randomUUID() };
    const dir = landing(tenant, run.id);
    fs.mkdirSync(dir, { recursive: true });
    for (const name of ['users.csv', 'courses.csv']) {
      fs.writeFileSync(path.join(dir, name), 'id\n1\n');
      fs.utimesSync(path.join(dir, name), T0, T0);
    }
    fs.utimesSync(dir, T0, T0);
    return run.id;
  }

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    const tenants = new TenantService(prisma);
    acme = await tenants.create({ slug: 'acme', name: 'Acme', actor: 'test' });
    globex = await tenants.create({ slug: 'globex', name: 'Globex', actor: 'test' });
    await setLandingRetention(prisma, { slug: 'globex', days: 30, actor: 'test' });
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it("deletes finished loads' landing files once older than the tenant's period, keeps the rest, and audits what went", async () => {
    const failed = await landedLoad(acme, 'failed');
    const published = await landedLoad(acme, 'succeeded');
    const running = await landedLoad(acme, 'running');
    const unrecorded = await landedLoad(acme, null);
    const globexFailed = await landedLoad(globex, 'failed');
    fs.mkdirSync(landing(acme, 'incoming'), { recursive: true });
    fs.writeFileSync(landing(acme, 'incoming', 'users.csv'), 'id\n');
    const deps = { prisma, landing: new LocalLandingStore(stack.env.KINEO_DATA_DIR), landingRetentionDays: 7 };

    // Six days on, within acme's seven (the setting) and globex's thirty: nothing goes.
    expect(await sweepLanding(deps, at(6))).toEqual({ tenants: [] });
    expect(fs.readdirSync(landing(acme)).sort()).toEqual([failed, published, running, unrecorded, 'incoming'].sort());

    // Eight days on: acme's finished loads and the folder no run was recorded for go; the running load stays.
    const swept = await sweepLanding(deps, at(8));
    expect(swept.tenants).toEqual([
      {
        tenant: 'acme',
        retentionDays: 7,
        removed: expect.arrayContaining([
          { ingestionRunId: failed, status: 'failed', files: 2, bytes: 10 },
          { ingestionRunId: published, status: 'succeeded', files: 2, bytes: 10 },
          { ingestionRunId: unrecorded, status: 'unrecorded', files: 2, bytes: 10 },
        ]),
      },
    ]);
    expect(swept.tenants[0].removed).toHaveLength(3);
    expect(fs.readdirSync(landing(acme)).sort()).toEqual([running, 'incoming'].sort());
    expect(fs.existsSync(landing(globex, globexFailed))).toBe(true);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: acme.id, action: 'landing.retention_swept' } });
    expect(audit.details).toMatchObject({ retentionDays: 7, retentionSource: 'setting', cutoff: at(1).toISOString() });
    expect((audit.details as { removed: unknown[] }).removed).toHaveLength(3);

    // Sweeping again removes nothing and records nothing.
    expect(await sweepLanding(deps, at(8))).toEqual({ tenants: [] });
    expect(await prisma.auditEvent.count({ where: { action: 'landing.retention_swept' } })).toBe(1);
  });

  it("runs as the worker's maintenance job, with globex's own thirty days", async () => {
    const warehouse = new DuckDbWarehouse({ rootDir: path.join(stack.env.KINEO_DATA_DIR, 'warehouse'), threads: 1 });
    const queues = new JobQueues(stack.redisUrl);
    const events = new QueueEvents('maintenance', { connection: bullConnection(stack.redisUrl), prefix: QUEUE_PREFIX });
    const worker = await startWorker({
      redisUrl: stack.redisUrl,
      registry: buildRegistry({
        prisma,
        warehouse,
        secrets: new FileSecretStore(path.join(stack.env.KINEO_DATA_DIR, 'secrets')),
        queues,
        announce: async () => undefined,
        dataDir: stack.env.KINEO_DATA_DIR,
        landingRetentionDays: 7,
      }),
      definitions: JOB_DEFINITIONS,
      log: pino({ level: 'silent' }),
    });
    try {
      await events.waitUntilReady();
      const kept = await (await queues.enqueue(landingRetentionJob, { now: at(29).toISOString() })).waitUntilFinished(events, 30_000);
      expect(kept).toEqual({ tenants: [] });
      const swept = await (await queues.enqueue(landingRetentionJob, { now: at(31).toISOString() })).waitUntilFinished(events, 30_000);
      expect(swept.tenants).toEqual([{ tenant: 'globex', retentionDays: 30, removed: [expect.objectContaining({ status: 'failed', files: 2 })] }]);
      expect(fs.readdirSync(landing(globex))).toEqual([]);
      const audit = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: globex.id, action: 'landing.retention_swept' } });
      expect(audit.details).toMatchObject({ retentionDays: 30, retentionSource: 'tenant' });
    } finally {
      await events.close();
      await worker.close();
      await queues.close();
      await warehouse.close();
    }
  });

  // The landing scan shares this file's stack: a drop is a load like any other, sized by the plan.
  it("refuses a landing drop with a file over the plan's upload limit into the audit log, starting nothing", async () => {
    await prisma.plan.create({ data: { code: 'pilot', name: 'Pilot', seatLimit: 10, rowLimit: 1000, uploadLimitBytes: 100, features: [] } });
    const tenants = new TenantService(prisma);
    const hooli = await tenants.create({ slug: 'hooli', name: 'Hooli', planCode: 'pilot', actor: 'test' });
    await tenants.markActive(hooli.id, 'test');
    fs.mkdirSync(landing(hooli, 'incoming'), { recursive: true });
    fs.writeFileSync(landing(hooli, 'incoming', 'users.csv'), `id\n${'1\n'.repeat(100)}`);
    fs.writeFileSync(landing(hooli, 'incoming', 'READY'), '');
    const queues = new JobQueues(stack.redisUrl);
    const context = { log: pino({ level: 'silent' }), progress: async () => undefined, signal: new AbortController().signal } as unknown as JobContext;
    try {
      const deps = { prisma, queues, dataDir: stack.env.KINEO_DATA_DIR, landing: new LocalLandingStore(stack.env.KINEO_DATA_DIR), uploadMaxBytes: 2 * 1024 ** 3 };
      const result = await landingScanHandler(deps)({}, context);
      expect(result).toEqual({ started: [] });
    } finally {
      await queues.close();
    }
    expect(await prisma.ingestionRun.count({ where: { tenantId: hooli.id } })).toBe(0);
    const refused = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: hooli.id, action: 'load.refused' } });
    expect(refused.details).toMatchObject({
      code: 'UPLOAD_TOO_LARGE',
      reason: expect.stringMatching(/^The file "users\.csv" is 203 bytes, over the upload limit of 100 bytes for the pilot plan/),
    });
  });
});
