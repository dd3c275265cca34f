import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSetting } from '@kineo/config';
import { createPrismaClient, migrateDatabase, type PrismaClient } from '@kineo/db';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@kineo/devstack';
import { generateExport } from '@kineo/generator';
import { JobQueues } from '@kineo/jobs';
import { runCli } from '../test/run-cli';
import { startWorkerProcess, stopProcess } from '../test/worker-process';

/**
 * Waiting follows the run in Postgres. The suite runs its own Postgres and Redis, both persistent,
 * so it can stop and restart them under a waiting command the way `kineo stack down`/`up` does
 * (the test kit's throwaway servers lose their data when stopped).
 */
describe('kineo commands that wait on the worker', () => {
  let dir: string;
  let postgres: PostgresServer;
  let redis: RedisServer;
  let env: Record<string, string>;
  let prisma: PrismaClient;
  let worker: ChildProcess | undefined;

  const startServers = async (ports?: { postgres: number; redis: number }) => {
    [postgres, redis] = await Promise.all([
      startPostgres({ dataDir: path.join(dir, 'postgres'), persistent: true, port: ports?.postgres }),
      startRedis({ dir: path.join(dir, 'redis'), persist: true, port: ports?.redis, serverBin: loadSetting('REDIS_SERVER_BIN') }),
    ]);
  };

  /** Polls Postgres from the test (the servers may be restarting, hence the catch). */
  const eventually = async <T>(read: () => Promise<T | undefined | null | false>): Promise<T> => {
    for (;;) {
      const value = await read().catch(() => undefined);
      if (value) return value;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-wait-'));
    fs.chmodSync(dir, 0o755);
    await startServers();
    await postgres.createDatabase('kineo');
    await migrateDatabase(postgres.url('kineo'));
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: postgres.url('kineo'),
      REDIS_URL: redis.url,
      KINEO_DATA_DIR: path.join(dir, 'data'),
      SECRET_STORE: 'file',
    };
    prisma = createPrismaClient(env.DATABASE_URL, { poolSize: 1 });
    worker = await startWorkerProcess(env);
    expect((await runCli(['tenant', 'create', 'alpha', '--name', 'Alpha', '--wait'], env)).code).toBe(0);
  });

  afterAll(async () => {
    await stopProcess(worker);
    await prisma?.$disconnect();
    await Promise.allSettled([postgres?.stop(), redis?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ends a load wait and a provisioning wait when their runs finish, although Postgres and Redis restarted under them', async () => {
    await stopProcess(worker);
    worker = undefined;
    const exportDir = path.join(dir, 'export');
    await generateExport({ dir: exportDir, users: 50, seed: 7, years: 1, fiscalCalendar: false });

    const ingest = runCli(['ingest', 'alpha', exportDir, '--json'], env);
    const create = runCli(['tenant', 'create', 'beta', '--name', 'Beta', '--wait', '--json'], env);
    // Both requests are recorded and queued; nothing runs them while the worker is stopped.
    await eventually(() => prisma.ingestionRun.findFirst({ where: { enqueuedAt: { not: null } } }));
    const queues = new JobQueues(env.REDIS_URL);
    try {
      await eventually(async () => (await queues.queue('provision').getJobCounts('wait')).wait === 1);
    } finally {
      await queues.close();
    }

    // The stack restarts: every connection the two commands hold is cut, and queue events
    // published while Redis is away never reach them.
    await prisma.$disconnect();
    await Promise.all([postgres.stop(), redis.stop()]);
    // Down for a few of the commands' reads (every 300 ms): a small cluster restarts within about
    // 150 ms, an outage a waiting command may never meet, and rightly says nothing of.
    await new Promise((r) => setTimeout(r, 2_000));
    await startServers({ postgres: postgres.port, redis: redis.port });
    prisma = createPrismaClient(env.DATABASE_URL, { poolSize: 1 });
    worker = await startWorkerProcess(env);

    const [loaded, created] = await Promise.all([ingest, create]);
    expect(loaded.stderr).toBe('');
    expect(loaded.code).toBe(0);
    expect(JSON.parse(loaded.stdout)).toMatchObject({ status: 'succeeded', dataVersion: 1 });
    expect(created.stderr).toContain('The metadata database answers again.');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ slug: 'beta', status: 'active' });
    // Two server restarts, a worker start and a whole load, on a machine other suites share.
  }, 300_000);

  it("ends a provisioning wait with the run's failure reason once its last attempt failed", async () => {
    await stopProcess(worker);
    worker = undefined;
    const create = runCli(['tenant', 'create', 'gamma', '--name', 'Gamma', '--wait'], env);
    const tenant = await eventually(() => prisma.tenant.findUnique({ where: { slug: 'gamma' } }));
    // A file where the tenant's warehouse folder must go: every attempt fails the same way.
    const blocked = path.join(env.KINEO_DATA_DIR, 'warehouse', tenant.namespace);
    fs.mkdirSync(path.dirname(blocked), { recursive: true });
    fs.writeFileSync(blocked, 'not a folder');
    worker = await startWorkerProcess(env);

    const result = await create;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Provisioning tenant "gamma" failed:');
    expect(result.stderr).toContain(tenant.namespace);
    expect(await prisma.buildRun.count({ where: { tenantId: tenant.id, kind: 'provision', status: 'failed' } })).toBe(5);
  });
});
