import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
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
  const pool = new pg.Pool({
    ...connection,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
  });
  // An idle connection Postgres ended (a restart, an administrator) is dropped and the next query
  // opens another; unheard, the pool's 'error' would end the process. The adapter listens only once
  // Prisma connects, and the session check may use the pool before that.
  pool.on('error', () => {});
  // The client owns the pool: $disconnect ends it, as when the adapter made it.
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

const pools = new WeakMap<PrismaClient, pg.Pool>();

/**
 * The node-postgres pool under a client made by createPrismaClient, while it is open: for a
 * statement run on every request (the gateway's session check), where Prisma's query compiler
 * costs more CPU than the query. Undefined for any other client, which then goes through Prisma.
 */
export function postgresPoolOf(prisma: PrismaClient): pg.Pool | undefined {
  const pool = pools.get(prisma);
  return pool && !pool.ending && !pool.ended ? pool : undefined;
}
