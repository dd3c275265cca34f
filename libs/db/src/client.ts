import { PrismaPg } from '@prisma/adapter-pg';
import { postgresConnection } from '@kineo/config';
import { PrismaClient } from '../generated/prisma';

export type { PrismaClient };

/** Where the process's database is (host:port/name, no credentials), for errors that say it cannot be reached. */
let databaseLocation: string | undefined;

export function describeDatabase(): string {
  return databaseLocation ?? 'DATABASE_URL';
}

/** One Prisma client per process, over node-postgres (no native query engine). */
export function createPrismaClient(databaseUrl: string, options: { poolSize?: number } = {}): PrismaClient {
  const connection = postgresConnection(databaseUrl);
  databaseLocation = `${connection.host}:${connection.port}/${connection.database}`;
  const adapter = new PrismaPg({
    ...connection,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
  });
  return new PrismaClient({ adapter });
}
