import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserService } from '@kineo/auth';
import { createPrismaClient, migrateDatabase } from '@kineo/db';
import { freePort, startPostgres, startRedis, waitForPort, type PostgresServer, type RedisServer } from '@kineo/devstack';
import { runCli } from '../test/run-cli';
import { startWorkerProcess, stopProcess } from '../test/worker-process';

const gatewayMain = path.join(__dirname, '..', '..', 'gateway', 'dist', 'main.js');
const PASSWORD = 'faults-password-not-secret';

interface Answer {
  status: number;
  retryAfter: string | null;
  data?: { analytics?: { rows: unknown[]; cached: boolean } };
  errors?: { message: string; extensions?: { code?: string; requestId?: string } }[];
}

// Redis and Postgres stopped and started again under a running gateway: without Redis it answers
// uncached (never an error); without Postgres it answers 503 with a clear code, and both recover
// without restarting the gateway. Postgres is persistent here, so it can come back with its data.
describe('the gateway while Redis or Postgres is stopped and started again', () => {
  let dir: string;
  let postgres: PostgresServer;
  let redis: RedisServer;
  let env: Record<string, string>;
  let worker: ChildProcess | undefined;
  let gateway: ChildProcess | undefined;
  let url: string;
  let token: string;

  const startPg = (port?: number) => startPostgres({ dataDir: path.join(dir, 'postgres'), persistent: true, port });
  const startRd = (port?: number) => startRedis({ dir: path.join(dir, 'redis'), port, serverBin: 'redis-server' });

  async function ask(query: string): Promise<Answer> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), ...((await response.json()) as Omit<Answer, 'status' | 'retryAfter'>) };
  }
  const analytics = '{ analytics(query: { measures: ["CourseProgress.count"], dimensions: ["CourseProgress.status"] }) { rows cached } }';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-faults-deps-'));
    fs.chmodSync(dir, 0o755);
    [postgres, redis] = await Promise.all([startPg(), startRd()]);
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
    worker = await startWorkerProcess(env);
    expect((await runCli(['tenant', 'create', 'acme', '--name', 'Acme', '--wait'], env)).code).toBe(0);
    const exported = path.join(dir, 'export');
    expect((await runCli(['generate', exported, '--users', '200', '--years', '1', '--as-of', '2025-06-30'], env)).code).toBe(0);
    expect((await runCli(['ingest', 'acme', exported, '--as-of', '2025-06-30'], env)).code).toBe(0);
    const prisma = createPrismaClient(env.DATABASE_URL, { poolSize: 1 });
    await new UserService(prisma).create({ email: 'admin@acme.example', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'org_admin' }, actor: 'faults' });
    await prisma.$disconnect();

    const port = await freePort();
    gateway = spawn(process.execPath, [gatewayMain], {
      env: { ...process.env, ...env, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port) },
        // Its stderr would repeat every refused Redis and Postgres connection while they are down.
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    await waitForPort(port, '127.0.0.1', 120_000);
    url = `http://127.0.0.1:${port}/graphql`;
    const login = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { login(email: "admin@acme.example", password: "${PASSWORD}") { token } }` }),
    });
    token = ((await login.json()) as { data: { login: { token: string } } }).data.login.token;
  });

  afterAll(async () => {
    await stopProcess(gateway);
    await stopProcess(worker);
    await Promise.allSettled([postgres?.stop(), redis?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers analytics without its cache while Redis is down, and with it once Redis is back', async () => {
    const before = await ask(analytics);
    expect(before.errors).toBeUndefined();
    const rows = before.data!.analytics!.rows;

    const port = redis.port;
    await redis.stop();
    // Under traffic: several callers at once, every one answered from the warehouse.
    const whileDown = await Promise.all(Array.from({ length: 8 }, () => ask(analytics)));
    for (const answer of whileDown) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.analytics).toEqual({ rows, cached: false });
    }
    expect((await ask('{ me { email } }')).errors).toBeUndefined();

    redis = await startRd(port);
    // The cache fills again on its own connection's reconnect; the answer is the same either way.
    let cached = false;
    while (!cached) {
      const answer = await ask(analytics);
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.analytics!.rows).toEqual(rows);
      cached = answer.data!.analytics!.cached;
      if (!cached) await new Promise((r) => setTimeout(r, 500));
    }
  });

  it('answers 503 SERVICE_UNAVAILABLE (readiness 503 too) while Postgres is down, and recovers when it is back without a restart', async () => {
    const port = postgres.port;
    await postgres.stop();
    // Every request's session is confirmed against Postgres (a sign-out or a deactivation takes
    // effect at once), so while it is down even `me` is refused, as unavailable: never as a session
    // that ended, which would send the portal's user to sign in again.
    const me = await ask('{ me { email } }');
    expect(me.status).toBe(503);
    expect(me.retryAfter).toBe('5');
    expect(me.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    // An answer whose only errors are the outage is HTTP 503 with Retry-After, the GraphQL error in its body.
    const down = await ask('{ pendingInvitations { id } }');
    expect(down.status).toBe(503);
    expect(down.retryAfter).toBe('5');
    expect(down.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect((await fetch(url.replace('/graphql', '/health'))).status).toBe(503);
    expect(down.errors?.[0]?.message).toMatch(/unavailable/i);

    postgres = await startPg(port);
    let back: Answer | undefined;
    while (!back || back.errors) {
      if (back) await new Promise((r) => setTimeout(r, 500));
      back = await ask('{ pendingInvitations { id } }');
    }
    expect(back.status).toBe(200);
    expect((await ask(analytics)).errors).toBeUndefined();
    expect((await fetch(url.replace('/graphql', '/health'))).status).toBe(200);
  });
});
