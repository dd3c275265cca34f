import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@kineo/testkit';
import { runCli } from '../test/run-cli';

interface Service {
  name: string;
  status: string;
  pid: number;
}

// The local stack heals: whatever dies (Redis, the worker, the gateway, Postgres's wrapper, the
// supervisor itself) is back, with true statuses, without "stack down" + "stack up".
describe('kineo stack under kill -9', () => {
  let env: Record<string, string>;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-stack-faults-'));
    fs.chmodSync(dataDir, 0o755);
    const [pg, redis, gateway] = [await freePort(), await freePort(), await freePort()];
    env = {
      LOG_LEVEL: 'info',
      KINEO_DATA_DIR: dataDir,
      DATABASE_URL: `postgresql://postgres:postgres@127.0.0.1:${pg}/kineo`,
      REDIS_URL: `redis://127.0.0.1:${redis}`,
      GATEWAY_PORT: String(gateway),
    };
    const up = await runCli(['stack', 'up'], env);
    expect(up.stderr).toBe('');
  });

  afterAll(async () => {
    await runCli(['stack', 'down'], env);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const status = async () => JSON.parse((await runCli(['stack', 'status', '--json'], env)).stdout) as { pid: number; running: boolean; services: Service[] };
  const service = async (name: string) => (await status()).services.find((s) => s.name === name)!;
  /** Polls the stack's status until `ok` holds; the jest timeout is the bound. */
  async function until(ok: (services: Service[]) => boolean): Promise<Service[]> {
    for (;;) {
      const services = (await status()).services;
      if (ok(services)) return services;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const running = (name: string, notPid: number) => (services: Service[]) =>
    services.some((s) => s.name === name && s.status === 'running' && s.pid !== notPid);

  it('brings back a Redis killed with kill -9, and the worker goes on processing jobs', async () => {
    const before = await service('redis');
    process.kill(before.pid, 'SIGKILL');
    const after = (await until(running('redis', before.pid))).find((s) => s.name === 'redis')!;
    expect(after.pid).not.toBe(before.pid);
    expect((await status()).running).toBe(true);
    const created = await runCli(['tenant', 'create', 'wayne', '--name', 'Wayne Enterprises', '--wait', '--json'], env);
    expect(created.stderr).toBe('');
    expect((JSON.parse(created.stdout) as { status: string }).status).toBe('active');
  }, 120_000);

  it('shows a restarted worker as running once it is ready, not "starting" for ever', async () => {
    const before = await service('worker');
    process.kill(before.pid, 'SIGKILL');
    await until(running('worker', before.pid));
    expect((await status()).running).toBe(true);
  }, 120_000);

  it('keeps Postgres "running" when only its wrapper process is killed, and still serves', async () => {
    const postmaster = await service('postgres');
    // The wrapper is the postmaster's parent: field 4 of /proc/<pid>/stat, after the command in parentheses.
    const [, afterCommand = ''] = fs.readFileSync(`/proc/${postmaster.pid}/stat`, 'utf8').split(') ');
    const wrapper = Number(afterCommand.split(' ')[1]);
    process.kill(wrapper, 'SIGKILL');
    expect(await service('postgres')).toMatchObject({ status: 'running', pid: postmaster.pid });
    const list = await runCli(['tenant', 'list', '--json'], env);
    expect(list.code).toBe(0);
  });

  it('"stack up" on a stack with a dead gateway starts the gateway now, under the same supervisor', async () => {
    const before = await status();
    const gateway = before.services.find((s) => s.name === 'gateway')!;
    process.kill(gateway.pid, 'SIGKILL');
    const up = await runCli(['stack', 'up', '--json'], env);
    expect(up.code).toBe(0);
    const after = JSON.parse(up.stdout) as { pid: number; running: boolean; services: Service[] };
    expect(after.running).toBe(true);
    expect(after.pid).toBe(before.pid);
    expect(after.services.find((s) => s.name === 'gateway')!.pid).not.toBe(gateway.pid);
    expect((await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/health/live`)).status).toBe(200);
  }, 120_000);

  it('"stack up" after the supervisor itself was killed stops what it left behind and starts afresh', async () => {
    const before = await status();
    process.kill(before.pid, 'SIGKILL');
    expect((await runCli(['stack', 'status'], env)).code).toBe(3);
    const up = await runCli(['stack', 'up', '--json'], env);
    expect(up.stderr).toBe('');
    const after = JSON.parse(up.stdout) as { pid: number; running: boolean; services: Service[] };
    expect(after.running).toBe(true);
    expect(after.pid).not.toBe(before.pid);
    for (const s of before.services) expect([s.name, isGone(s.pid)]).toEqual([s.name, true]);
    const list = JSON.parse((await runCli(['tenant', 'list', '--json'], env)).stdout) as { slug: string }[];
    expect(list.map((t) => t.slug)).toEqual(['wayne']);
  }, 180_000);
});

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}
