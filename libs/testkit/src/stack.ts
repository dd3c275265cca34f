import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSetting } from '@kineo/config';
import { migrateDatabase } from '@kineo/db';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@kineo/devstack';
import { migratedClusterTemplate } from './postgres-template.util';

export interface TestStack {
  /** Throwaway directory for this suite: warehouse files, secrets, uploads. */
  dir: string;
  postgres: PostgresServer;
  redis: RedisServer;
  databaseUrl: string;
  redisUrl: string;
  /** Environment for a process (CLI, gateway, worker) that should use this stack. */
  env: Record<string, string>;
  /**
   * Stop and start again one server on its own port, keeping its data (a `restartable` stack
   * only): `postgres` and `redis` above then name the new server.
   */
  stopServer(server: 'postgres' | 'redis'): Promise<void>;
  startServer(server: 'postgres' | 'redis'): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Real Postgres (migrated) and real Redis on free ports with a throwaway directory, for one
 * test suite. Call stop() in afterAll; everything it started is gone afterwards.
 */
export async function startTestStack(
  // postgresPassword: a distinctive one for tests that search output for it (the default is "postgres").
  options: { migrate?: boolean; keepIn?: string; restartable?: boolean; postgresPassword?: string } = {},
): Promise<TestStack> {
  // A kept directory (the benchmarks' built tenants) outlives the stack: Postgres persists in it and stop() leaves it.
  const kept = options.keepIn !== undefined;
  const dir = options.keepIn ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-test-'));
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  const removeDir = () => {
    if (!kept) fs.rmSync(dir, { recursive: true, force: true });
  };
  // A restartable stack keeps its data across a stop: Postgres's cluster and Redis's append-only
  // file (queues and locks come back as BullMQ left them), as the local stack does.
  const restartable = options.restartable === true;
  const migrate = options.migrate !== false;
  // A new cluster starts as a copy of one already migrated (startPostgres copies it only when the
  // cluster does not exist yet: a kept one is used, and migrated, as it is).
  let seedFrom: string | undefined;
  const pgOptions = (port?: number) => ({ dataDir: path.join(dir, 'postgres'), persistent: kept || restartable, port, password: options.postgresPassword, seedFrom });
  const redisOptions = (port?: number) => ({ dir: path.join(dir, 'redis'), serverBin: loadSetting('REDIS_SERVER_BIN'), persist: restartable, port });
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  try {
    const template = migrate ? await migratedClusterTemplate(options.postgresPassword ?? 'postgres') : undefined;
    seedFrom = template?.dataDir;
    try {
      [postgres, redis] = await Promise.all([startPostgres(pgOptions()), startRedis(redisOptions())]);
    } finally {
      // Copied (or not needed): another suite's clean-up may remove it once it is old.
      template?.release();
    }
    await postgres.createDatabase('kineo');
    const databaseUrl = postgres.url('kineo');
    if (migrate && !postgres.seeded) await migrateDatabase(databaseUrl);
    const pg = postgres;
    const rd = redis;
    const stack: TestStack = {
      dir,
      postgres: pg,
      redis: rd,
      databaseUrl,
      redisUrl: rd.url,
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: databaseUrl,
        REDIS_URL: rd.url,
        KINEO_DATA_DIR: path.join(dir, 'data'),
        SECRET_STORE: 'file',
      },
      async stopServer(server) {
        if (!restartable) throw new Error('stopServer needs startTestStack({ restartable: true }): a throwaway server loses its data when stopped');
        await stack[server].stop();
      },
      async startServer(server) {
        if (!restartable) throw new Error('startServer needs startTestStack({ restartable: true })');
        if (server === 'postgres') stack.postgres = await startPostgres(pgOptions(stack.postgres.port));
        else stack.redis = await startRedis(redisOptions(stack.redis.port));
      },
      async stop() {
        await Promise.allSettled([stack.postgres.stop(), stack.redis.stop()]);
        removeDir();
      },
    };
    return stack;
  } catch (error) {
    await Promise.allSettled([postgres?.stop(), redis?.stop()]);
    removeDir();
    throw error;
  }
}
