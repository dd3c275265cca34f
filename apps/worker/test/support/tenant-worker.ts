import fs from 'node:fs';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import type { Logger } from 'pino';
import type { FileSecretStore } from '@kineo/config';
import { TenantService, type PrismaClient } from '@kineo/db';
import { bullConnection, JOB_DEFINITIONS, landingScanJob, provisionTenantJob, QUEUE_PREFIX, type JobQueues } from '@kineo/jobs';
import type { TestStack } from '@kineo/testkit';
import type { Warehouse } from '@kineo/warehouse';
import { buildRegistry, startWorker } from '../../src';
import { VALID_LOAD_FILES } from './valid-load';

/** What a suite starts once and its tenants' workers share. */
export interface WorkerHarness {
  stack: TestStack;
  prisma: PrismaClient;
  queues: JobQueues;
  secrets: FileSecretStore;
  announce: (event: { tenantId: string; version: number }) => Promise<void>;
  log: Logger;
}

/** A new tenant, provisioned by a worker that runs every job; with the maintenance queue's events. */
export async function provisionedTenantWithWorker(h: WorkerHarness, slug: string, name: string, wh: Warehouse, options: { fiscalYearStartMonth?: number } = {}) {
  const tenant = await new TenantService(h.prisma).create({ slug, name, actor: 'test', ...options });
  const ref = { tenantId: tenant.id, namespace: tenant.namespace };
  const worker = await startWorker({
    redisUrl: h.stack.redisUrl,
    registry: buildRegistry({ prisma: h.prisma, warehouse: wh, secrets: h.secrets, queues: h.queues, announce: h.announce, dataDir: h.stack.env.KINEO_DATA_DIR }),
    definitions: JOB_DEFINITIONS,
    log: h.log,
    afterTenantJob: async () => wh.release(ref),
  });
  const events = new QueueEvents('maintenance', { connection: bullConnection(h.stack.redisUrl), prefix: QUEUE_PREFIX });
  const provisionEvents = new QueueEvents('provision', { connection: bullConnection(h.stack.redisUrl), prefix: QUEUE_PREFIX });
  const close = async () => {
    await events.close();
    await provisionEvents.close();
    await worker.close();
  };
  try {
    await Promise.all([events.waitUntilReady(), provisionEvents.waitUntilReady()]);
    await (await h.queues.enqueue(provisionTenantJob, { tenantId: tenant.id, requestedBy: 'test' })).waitUntilFinished(provisionEvents, 30_000);
  } catch (error) {
    await close();
    throw error;
  }
  return { tenant, ref, events, close };
}

/** The files dropped with READY in the tenant's landing folder, scanned, and the load's build waited for to its end. */
export async function dropAndLoad(h: WorkerHarness, namespace: string, events: QueueEvents, buildEvents: QueueEvents, drop: Record<string, string> = VALID_LOAD_FILES) {
  const incoming = path.join(h.stack.env.KINEO_DATA_DIR, 'landing', namespace, 'incoming');
  fs.mkdirSync(incoming, { recursive: true });
  for (const [name, text] of Object.entries(drop)) fs.writeFileSync(path.join(incoming, name), text);
  fs.writeFileSync(path.join(incoming, 'READY'), '');
  const scan = await (await h.queues.enqueue(landingScanJob, {})).waitUntilFinished(events, 30_000);
  return (await h.queues.queue('build').getJob(`${scan.started[0].ingestionRunId}-publish`))!.waitUntilFinished(buildEvents, 120_000);
}
