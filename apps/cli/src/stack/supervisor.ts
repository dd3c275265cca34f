import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '@kineo/config';
import { migrateDatabase } from '@kineo/db';
import { isPortOpen, startPostgres, startRedis, type PostgresServer, type RedisServer } from '@kineo/devstack';
import { repoRoot, SERVICE_ORDER, writeState, type ServiceName, type ServiceState, type StackState } from './state';

const MAX_RESTARTS = 5;

interface ManagedProcess {
  name: ServiceName;
  command: string[];
  env: Record<string, string>;
  healthUrl?: string;
  port?: number;
  child?: ChildProcess;
}

/** A directory only the stack's own user may read, made so if it already existed. */
export function privateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/** Opens a log for appending, readable by the stack's own user only (mode 0600), whoever created it. */
export function openPrivateLog(file: string): number {
  const fd = fs.openSync(file, 'a', 0o600);
  fs.fchmodSync(fd, 0o600);
  return fd;
}

/** Creates (or tightens) a log another program will append to, and returns its path. */
function privateLogFile(file: string): string {
  fs.closeSync(openPrivateLog(file));
  return file;
}

/**
 * Runs the local stack in the foreground: Postgres, Redis, the worker, the gateway and
 * optionally the portal, restarting a crashed app process a few times, until SIGTERM.
 * "kineo stack up" starts this in the background; "kineo stack down" sends it SIGTERM.
 */
export async function runSupervisor(settings: Settings, dataDir: string, options: { portal: boolean }): Promise<void> {
  const logsDir = path.join(dataDir, 'logs');
  // Logs quote requests and errors; landing holds customers' exports; warehouse their data.
  for (const dir of [logsDir, path.join(dataDir, 'landing'), path.join(dataDir, 'warehouse')]) privateDir(dir);
  const state: StackState = { pid: process.pid, startedAt: new Date().toISOString(), status: 'starting', dataDir, services: {} };
  const save = () => writeState(state);
  const set = (service: ServiceState) => {
    state.services[service.name] = service;
    save();
  };
  save();

  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  const managed: ManagedProcess[] = [];
  let stopping = false;

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    state.status = 'stopping';
    save();
    for (const m of [...managed].reverse()) await stopChild(m.child);
    await redis?.stop();
    await postgres?.stop();
    for (const name of SERVICE_ORDER) {
      const s = state.services[name];
      if (s && !s.external) s.status = 'stopped';
    }
    fs.rmSync(path.join(dataDir, 'stack', 'state.json'), { force: true });
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));

  try {
    const dbUrl = new URL(settings.DATABASE_URL);
    const pgPort = Number(dbUrl.port || 5432);
    if (await isPortOpen(pgPort, dbUrl.hostname)) {
      set({ name: 'postgres', external: true, port: pgPort, status: 'running', url: redact(settings.DATABASE_URL) });
    } else {
      set({ name: 'postgres', external: false, port: pgPort, status: 'starting' });
      postgres = await startPostgres({
        dataDir: path.join(dataDir, 'postgres'),
        port: pgPort,
        password: decodeURIComponent(dbUrl.password) || 'postgres',
        persistent: true,
      });
      await postgres.createDatabase(decodeURIComponent(dbUrl.pathname.slice(1)) || 'kineo');
      set({ name: 'postgres', external: false, pid: postgres.process.pid, port: pgPort, status: 'running', url: redact(settings.DATABASE_URL) });
    }
    await migrateDatabase(settings.DATABASE_URL);

    const redisUrl = new URL(settings.REDIS_URL);
    const redisPort = Number(redisUrl.port || 6379);
    if (await isPortOpen(redisPort, redisUrl.hostname)) {
      set({ name: 'redis', external: true, port: redisPort, status: 'running', url: settings.REDIS_URL });
    } else {
      redis = await startRedis({
        dir: path.join(dataDir, 'redis'),
        port: redisPort,
        persist: true,
        logFile: privateLogFile(path.join(logsDir, 'redis.log')),
        serverBin: settings.REDIS_SERVER_BIN,
      });
      set({ name: 'redis', external: false, pid: redis.process.pid, port: redisPort, status: 'running', url: redis.url, log: path.join(logsDir, 'redis.log') });
    }

    const root = repoRoot();
    const env = {
      ...stringEnv(process.env),
      NODE_ENV: settings.NODE_ENV,
      DATABASE_URL: settings.DATABASE_URL,
      REDIS_URL: settings.REDIS_URL,
      KINEO_DATA_DIR: dataDir,
      GATEWAY_HOST: settings.GATEWAY_HOST,
      GATEWAY_PORT: String(settings.GATEWAY_PORT),
      NEXT_TELEMETRY_DISABLED: '1',
    };
    const gatewayUrl = `http://${settings.GATEWAY_HOST}:${settings.GATEWAY_PORT}`;
    managed.push({ name: 'worker', command: [path.join(root, 'apps/worker/dist/main.js')], env });
    managed.push({
      name: 'gateway',
      command: [path.join(root, 'apps/gateway/dist/main.js')],
      env,
      port: settings.GATEWAY_PORT,
      healthUrl: `${gatewayUrl}/health/live`,
    });
    if (options.portal) {
      managed.push({
        name: 'portal',
        command: [
          require.resolve('next/dist/bin/next', { paths: [path.join(root, 'apps/portal')] }),
          'start', path.join(root, 'apps/portal'), '-p', String(settings.PORTAL_PORT), '-H', '127.0.0.1',
        ],
        env: { ...env, KINEO_GATEWAY_URL: gatewayUrl },
        port: settings.PORTAL_PORT,
        healthUrl: `http://127.0.0.1:${settings.PORTAL_PORT}/api/health`,
      });
    }

    for (const m of managed) {
      if (m.port && (await isPortOpen(m.port))) {
        throw new Error(`port ${m.port} for the ${m.name} is already in use; stop whatever uses it or set ${m.name === 'portal' ? 'PORTAL_PORT' : 'GATEWAY_PORT'}`);
      }
      const log = path.join(logsDir, `${m.name}.log`);
      let restarts = 0;
      const launch = () => {
        const out = openPrivateLog(log);
        const child = spawn(process.execPath, m.command, { env: m.env, cwd: root, stdio: ['ignore', out, out] });
        fs.closeSync(out);
        m.child = child;
        child.on('exit', (code, signal) => {
          if (stopping) return;
          if (restarts >= MAX_RESTARTS) {
            set({ name: m.name, external: false, status: 'failed', log, restarts, error: `exited (${signal ?? code}) ${restarts} times; see ${log}` });
            return;
          }
          restarts++;
          set({ name: m.name, external: false, status: 'starting', log, restarts, port: m.port });
          setTimeout(launch, Math.min(30_000, 500 * 2 ** restarts));
        });
        set({ name: m.name, external: false, pid: child.pid, port: m.port, status: 'starting', log, restarts, url: m.healthUrl && new URL(m.healthUrl).origin });
      };
      launch();
      if (m.healthUrl) await waitForHttp(m.healthUrl, m, log);
      const current = state.services[m.name]!;
      set({ ...current, status: 'running' });
    }
    state.status = 'running';
    save();
  } catch (error) {
    state.status = 'failed';
    state.error = error instanceof Error ? error.message : String(error);
    save();
    for (const m of [...managed].reverse()) await stopChild(m.child);
    await redis?.stop();
    await postgres?.stop();
    process.exit(1);
  }
}

async function waitForHttp(url: string, m: ManagedProcess, log: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (m.child && m.child.exitCode !== null) {
      throw new Error(`the ${m.name} exited with code ${m.child.exitCode} while starting; see ${log}:\n${tail(log)}`);
    }
    if (Date.now() > deadline) throw new Error(`the ${m.name} did not answer ${url} within ${timeoutMs / 1000} s; see ${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function stopChild(child: ChildProcess | undefined, graceMs = 40_000): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.removeAllListeners('exit');
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
