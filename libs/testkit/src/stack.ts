import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSetting } from '@kineo/config';
import { migrateDatabase } from '@kineo/db';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@kineo/devstack';

export interface TestStack {
  /** Throwaway directory for this suite: warehouse files, secrets, uploads. */
  dir: string;
  postgres: PostgresServer;
  redis: RedisServer;
  databaseUrl: string;
  redisUrl: string;
  /** Environment for a process (CLI, gateway, worker) that should use this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Real Postgres (migrated) and real Redis on free ports with a throwaway directory, for one
 * test suite. Call stop() in afterAll; everything it started is gone afterwards.
 */
export async function startTestStack(options: { migrate?: boolean; keepIn?: string } = {}): Promise<TestStack> {
  // A kept directory (the benchmarks' built tenants) outlives the stack: Postgres persists in it and stop() leaves it.
  const kept = options.keepIn !== undefined;
  const dir = options.keepIn ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-test-'));
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  const removeDir = () => {
    if (!kept) fs.rmSync(dir, { recursive: true, force: true });
  };
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  try {
    [postgres, redis] = await Promise.all([
      startPostgres({ dataDir: path.join(dir, 'postgres'), persistent: kept }),
      startRedis({ dir: path.join(dir, 'redis'), serverBin: loadSetting('REDIS_SERVER_BIN') }),
    ]);
    await postgres.createDatabase('kineo');
    const databaseUrl = postgres.url('kineo');
    if (options.migrate !== false) await migrateDatabase(databaseUrl);
    const pg = postgres;
    const rd = redis;
    return {
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
      async stop() {
        await Promise.allSettled([pg.stop(), rd.stop()]);
        removeDir();
      },
    };
  } catch (error) {
    await Promise.allSettled([postgres?.stop(), redis?.stop()]);
    removeDir();
    throw error;
  }
}
