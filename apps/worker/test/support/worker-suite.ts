import path from 'node:path';
import { FileSecretStore } from '@kineo/config';
import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { JobQueues } from '@kineo/jobs';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { DuckDbWarehouse } from '@kineo/warehouse';

/** What the worker's suites start once per file: Postgres and Redis, the DuckDB warehouse, the secrets. */
export interface WorkerSuite {
  stack: TestStack;
  prisma: PrismaClient;
  queues: JobQueues;
  warehouse: DuckDbWarehouse;
  secrets: FileSecretStore;
}

export async function startWorkerSuite(): Promise<WorkerSuite> {
  const stack = await startTestStack();
  return {
    stack,
    prisma: createPrismaClient(stack.databaseUrl),
    queues: new JobQueues(stack.redisUrl),
    warehouse: new DuckDbWarehouse({ rootDir: path.join(stack.env.KINEO_DATA_DIR, 'warehouse'), threads: 1 }),
    secrets: new FileSecretStore(path.join(stack.env.KINEO_DATA_DIR, 'secrets')),
  };
}

/** Closes what `startWorkerSuite` opened (what of it did open, when the start failed part-way). */
export async function stopWorkerSuite(suite: Partial<WorkerSuite>): Promise<void> {
  await suite.warehouse?.close();
  await suite.queues?.close();
  await suite.prisma?.$disconnect();
  await suite.stack?.stop();
}
