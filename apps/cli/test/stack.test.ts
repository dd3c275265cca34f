import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { createPrismaClient } from '@kineo/db';
import { freePort } from '@kineo/testkit';
import { runCli } from './run-cli';

// The whole local stack as a person starts it: its own Postgres and Redis on free ports,
// the worker and the gateway, in a throwaway data directory.
describe('kineo stack', () => {
  let env: Record<string, string>;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-stack-'));
    fs.chmodSync(dataDir, 0o755);
    const [pg, redis, gateway] = [await freePort(), await freePort(), await freePort()];
    env = {
      LOG_LEVEL: 'info',
      KINEO_DATA_DIR: dataDir,
      DATABASE_URL: `postgresql://postgres:postgres@127.0.0.1:${pg}/kineo`,
      REDIS_URL: `redis://127.0.0.1:${redis}`,
      GATEWAY_PORT: String(gateway),
    };
  });

  afterAll(async () => {
    await runCli(['stack', 'down'], env);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports a stopped stack with exit code 3', async () => {
    const result = await runCli(['stack', 'status'], env);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('The local stack is stopped.');
  });

  it('starts Postgres, Redis, the worker and the gateway, and says where they are', async () => {
    const up = await runCli(['stack', 'up', '--json'], env);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const status = JSON.parse(up.stdout);
    expect(status.running).toBe(true);
    expect(status.services.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ['postgres', 'running'],
      ['redis', 'running'],
      ['worker', 'running'],
      ['gateway', 'running'],
    ]);
    const health = await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/health`);
    // The body names the check that failed, should one.
    expect({ status: health.status, body: await health.text() }).toMatchObject({ status: 200 });
  });

  it('keeps its logs and data to its own user', async () => {
    const mode = (relative: string) => (fs.statSync(path.join(dataDir, relative)).mode & 0o777).toString(8);
    for (const log of ['stack.log', 'gateway.log', 'worker.log', 'redis.log']) expect([log, mode(`logs/${log}`)]).toEqual([log, '600']);
    for (const dir of ['logs', 'landing', 'warehouse']) expect([dir, mode(dir)]).toEqual([dir, '700']);
  });

  it('does nothing when asked to start again', async () => {
    const before = JSON.parse((await runCli(['stack', 'status', '--json'], env)).stdout);
    const again = await runCli(['stack', 'up', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).pid).toBe(before.pid);
  });

  it('provisions a tenant created through the CLI, through the worker it started', async () => {
    const created = await runCli(['tenant', 'create', 'stark', '--name', 'Stark Industries', '--wait', '--json'], env);
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout).status).toBe('active');
  });

  it('runs Postgres with fsync on and Redis with an append-only file (the tests\' own servers need neither)', async () => {
    const prisma = createPrismaClient(env.DATABASE_URL);
    try {
      expect(await prisma.$queryRawUnsafe('show fsync')).toEqual([{ fsync: 'on' }]);
    } finally {
      await prisma.$disconnect();
    }
    const redis = new Redis(env.REDIS_URL);
    try {
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    } finally {
      redis.disconnect();
    }
  });

  it('stops everything and keeps the data for the next start', async () => {
    const down = await runCli(['stack', 'down'], env);
    expect(down.stdout).toContain('The local stack has stopped.');
    expect((await runCli(['stack', 'status'], env)).code).toBe(3);
    await expect(fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/health`)).rejects.toThrow();

    expect((await runCli(['stack', 'up'], env)).code).toBe(0);
    const list = JSON.parse((await runCli(['tenant', 'list', '--json'], env)).stdout);
    expect(list.map((t: { slug: string }) => t.slug)).toEqual(['stark']);
  });
});


describe("the stack's gateway believes the portal beside it", () => {
  // The built CLI's own choice (as the other tests run the built CLI), without starting anything.
  it('trusts the loopback portal for client addresses when the portal runs, keeps a setting made by hand, and trusts nobody without a portal', async () => {
    const { stackTrustedProxies } = await import('../dist/stack/supervisor.js');
    expect(stackTrustedProxies({ TRUSTED_PROXIES: [] }, { portal: true })).toBe('127.0.0.1,::1');
    expect(stackTrustedProxies({ TRUSTED_PROXIES: ['10.0.0.0/24'] }, { portal: true })).toBe('10.0.0.0/24');
    expect(stackTrustedProxies({ TRUSTED_PROXIES: [] }, { portal: false })).toBeUndefined();
  });
});
