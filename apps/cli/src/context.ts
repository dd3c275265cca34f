import Redis from 'ioredis';
import { createSecretStore, type Settings } from '@kineo/config';
import { createWarehouse, type Warehouse } from '@kineo/warehouse';
import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { JobQueues } from '@kineo/jobs';
import { CliError } from './output';

/** Lazily opened connections for one CLI invocation, closed when it ends. */
export class CliContext {
  private prismaClient?: PrismaClient;
  private jobQueues?: JobQueues;
  private readerWarehouse?: Warehouse;

  constructor(readonly settings: Settings) {}

  /** Who runs the CLI, as its audit events name them. */
  get actor(): string {
    return `cli:${this.settings.USER}`;
  }

  get prisma(): PrismaClient {
    this.prismaClient ??= createPrismaClient(this.settings.DATABASE_URL, { poolSize: 2 });
    return this.prismaClient;
  }

  /** The job queues, after checking Redis answers (BullMQ would otherwise wait forever). */
  async queues(): Promise<JobQueues> {
    if (!this.jobQueues) {
      await assertRedisReachable(this.settings.REDIS_URL);
      this.jobQueues = new JobQueues(this.settings.REDIS_URL);
    }
    return this.jobQueues;
  }

  async warehouse(): Promise<Warehouse> {
    this.readerWarehouse ??= await createWarehouse(this.settings, createSecretStore(this.settings), 'reader');
    return this.readerWarehouse;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.prismaClient?.$disconnect(), this.jobQueues?.close(), this.readerWarehouse?.close()]);
  }
}

export async function assertRedisReachable(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3_000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    const url = new URL(redisUrl);
    throw new CliError(
      `Cannot reach Redis at ${url.hostname}:${url.port || 6379} (${(error as Error).message}). Is the stack running? Start it with "kineo stack up".`,
    );
  } finally {
    redis.disconnect();
  }
}
