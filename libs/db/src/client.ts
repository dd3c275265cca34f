import { PrismaPg } from '@prisma/adapter-pg';
import { postgresConnection } from '@kineo/config';
import { PrismaClient } from '../generated/prisma';

export type { PrismaClient };

/** One Prisma client per process, over node-postgres (no native query engine). */
export function createPrismaClient(databaseUrl: string, options: { poolSize?: number } = {}): PrismaClient {
  const adapter = new PrismaPg({
    ...postgresConnection(databaseUrl),
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
  });
  return new PrismaClient({ adapter });
}
