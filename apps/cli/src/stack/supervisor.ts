import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '@kineo/config';
import { migrateDatabase } from '@kineo/db';
import { isPortOpen, startPostgres, startRedis, type PostgresServer, type RedisServer } from '@kineo/devstack';
import { isAlive, repoRoot, SERVICE_ORDER, writeState, type ServiceName, type ServiceState, type StackState } from './state';

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

/** After this many failed starts in a row a service shows "failed" (and is still retried). */
const FAILED_AFTER = 5;
/** How often the supervisor looks for dead services. */
const HEAL_INTERVAL_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

/** One service the supervisor starts, watches and restarts. */
interface Service {
  name: ServiceName;
  port?: number;
  url?: string;
  log?: string;
  /** Starts it and resolves once it serves; the returned pid is the process whose life is the service's. */
  start(): Promise<number>;
  /** False once the service's process is gone (not merely slow to answer). */
  alive(): boolean;
  stop(): Promise<void>;
}

/** Backoff before the next start after `failures` failed ones in a row: 0.5 s, 1 s, 2 s ... 30 s. */
export function restartDelayMs(failures: number): number {
  return failures === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 500 * 2 ** (failures - 1));
}

/**
 * Runs the local stack in the foreground: Postgres, Redis, the worker, the gateway and
 * optionally the portal, until SIGTERM. Every second it restarts whatever died (any service,
 * Postgres and Redis too) with backoff; SIGUSR2 (sent by "kineo stack up") restarts the dead
 * ones at once. "kineo stack up" starts this in the background; "kineo stack down" sends it SIGTERM.
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

  const services: Service[] = [];
  let stopping = false;
  const timers: { healer?: NodeJS.Timeout } = {};

  const stopAll = async () => {
    if (timers.healer) clearInterval(timers.healer);
    for (const service of [...services].reverse()) await service.stop().catch(() => undefined);
  };
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    state.status = 'stopping';
    save();
    await stopAll();
    for (const name of SERVICE_ORDER) {
      const s = state.services[name];
      if (s && !s.external) s.status = 'stopped';
    }
    fs.rmSync(path.join(dataDir, 'stack', 'state.json'), { force: true });
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));

  const started = (service: Service, pid: number, restarts: number) =>
    set({ name: service.name, external: false, pid, port: service.port, status: 'running', url: service.url, log: service.log, restarts });

  try {
    const dbUrl = new URL(settings.DATABASE_URL);
    const pgPort = Number(dbUrl.port || 5432);
    if (await isPortOpen(pgPort, dbUrl.hostname)) {
      set({ name: 'postgres', external: true, port: pgPort, status: 'running', url: redact(settings.DATABASE_URL) });
    } else {
      const service = postgresService(settings, dataDir, pgPort);
      set({ name: 'postgres', external: false, port: pgPort, status: 'starting' });
      started(service, await service.start(), 0);
      services.push(service);
    }
    await migrateDatabase(settings.DATABASE_URL);

    const redisUrl = new URL(settings.REDIS_URL);
    const redisPort = Number(redisUrl.port || 6379);
    if (await isPortOpen(redisPort, redisUrl.hostname)) {
      set({ name: 'redis', external: true, port: redisPort, status: 'running', url: settings.REDIS_URL });
    } else {
      const service = redisService(settings, dataDir, redisPort, logsDir);
      started(service, await service.start(), 0);
      services.push(service);
    }

    for (const app of appServices(settings, dataDir, logsDir, options)) {
      if (app.port && (await isPortOpen(app.port))) {
        throw new Error(`port ${app.port} for the ${app.name} is already in use; stop whatever uses it or set ${app.name === 'portal' ? 'PORTAL_PORT' : 'GATEWAY_PORT'}`);
      }
      set({ name: app.name, external: false, port: app.port, status: 'starting', log: app.log });
      services.push(app);
      started(app, await app.start(), 0);
    }
    state.status = 'running';
    save();
  } catch (error) {
    state.status = 'failed';
    state.error = error instanceof Error ? error.message : String(error);
    save();
    await stopAll();
    process.exit(1);
  }

  // Healing: a dead service is started again after its backoff; one start at a time per service.
  const healing = new Map<ServiceName, { failures: number; restarts: number; notBefore: number; busy: boolean }>();
  const heal = async (now: boolean) => {
    for (const service of services) {
      if (stopping) return;
      const h = healing.get(service.name) ?? { failures: 0, restarts: 0, notBefore: 0, busy: false };
      healing.set(service.name, h);
      if (h.busy || service.alive()) continue;
      const current = state.services[service.name];
      if (current?.status === 'running') {
        set({ ...current, status: 'starting', error: `${service.name} died; restarting` });
      }
      if (!now && Date.now() < h.notBefore) continue;
      h.busy = true;
      try {
        await service.stop().catch(() => undefined);
        const pid = await service.start();
        h.restarts++;
        h.failures = 0;
        started(service, pid, h.restarts);
      } catch (error) {
        h.failures++;
        h.notBefore = Date.now() + restartDelayMs(h.failures);
        const message = error instanceof Error ? error.message : String(error);
        set({
          name: service.name,
          external: false,
          port: service.port,
          log: service.log,
          restarts: h.restarts,
          status: h.failures >= FAILED_AFTER ? 'failed' : 'starting',
          error: `${h.failures} failed start(s), next in ${Math.round(restartDelayMs(h.failures) / 1000)} s: ${message.split('\n')[0]}`,
        });
      } finally {
        h.busy = false;
      }
    }
  };
  let sweeping = false;
  const sweep = (now: boolean) => {
    if (sweeping && !now) return;
    sweeping = true;
    void heal(now).finally(() => (sweeping = false));
  };
  timers.healer = setInterval(() => sweep(false), HEAL_INTERVAL_MS);
  process.on('SIGUSR2', () => sweep(true));
}

function postgresService(settings: Settings, dataDir: string, port: number): Service {
  const dbUrl = new URL(settings.DATABASE_URL);
  let server: PostgresServer | undefined;
  return {
    name: 'postgres',
    port,
    url: redact(settings.DATABASE_URL),
    async start() {
      server = await startPostgres({
        dataDir: path.join(dataDir, 'postgres'),
        port,
        password: decodeURIComponent(dbUrl.password) || 'postgres',
        persistent: true,
        // The stack holds real metadata: it must survive an OS crash (the tests' clusters need not).
        durable: true,
      });
      await server.createDatabase(decodeURIComponent(dbUrl.pathname.slice(1)) || 'kineo');
      return server.postmasterPid;
    },
    // The postmaster, not its wrapper: Postgres keeps serving if only the wrapper dies.
    alive: () => isAlive(server?.postmasterPid),
    stop: async () => server?.stop(),
  };
}

function redisService(settings: Settings, dataDir: string, port: number, logsDir: string): Service {
  let server: RedisServer | undefined;
  const log = path.join(logsDir, 'redis.log');
  return {
    name: 'redis',
    port,
    url: settings.REDIS_URL,
    log,
    async start() {
      server = await startRedis({
        dir: path.join(dataDir, 'redis'),
        port,
        persist: true,
        logFile: privateLogFile(log),
        serverBin: settings.REDIS_SERVER_BIN,
      });
      return server.process.pid!;
    },
    alive: () => Boolean(server && server.process.exitCode === null && server.process.signalCode === null),
    stop: async () => server?.stop(),
  };
}

/**
 * TRUSTED_PROXIES for the stack's gateway: with the portal beside it on this machine, the portal's
 * loopback address, so the gateway believes the browser's address the portal passes on (Next sets
 * X-Forwarded-For to the socket's peer when a browser sends none). Without it every sign-in through
 * the portal would come from 127.0.0.1, and 20 wrong passwords by anyone would lock everyone out of
 * the portal. One set by hand is kept.
 */
export function stackTrustedProxies(settings: Pick<Settings, 'TRUSTED_PROXIES'>, options: { portal: boolean }): string | undefined {
  if (settings.TRUSTED_PROXIES.length > 0) return settings.TRUSTED_PROXIES.join(',');
  return options.portal ? '127.0.0.1,::1' : undefined;
}

/** The worker, the gateway and the portal: node processes whose output goes to their own log. */
function appServices(settings: Settings, dataDir: string, logsDir: string, options: { portal: boolean }): Service[] {
  const root = repoRoot();
  const env: Record<string, string> = {
    ...stringEnv(process.env),
    NODE_ENV: settings.NODE_ENV,
    DATABASE_URL: settings.DATABASE_URL,
    REDIS_URL: settings.REDIS_URL,
    KINEO_DATA_DIR: dataDir,
    GATEWAY_HOST: settings.GATEWAY_HOST,
    GATEWAY_PORT: String(settings.GATEWAY_PORT),
    NEXT_TELEMETRY_DISABLED: '1',
  };
  const trusted = stackTrustedProxies(settings, options);
  if (trusted) env.TRUSTED_PROXIES = trusted;
  const gatewayUrl = `http://${settings.GATEWAY_HOST}:${settings.GATEWAY_PORT}`;
  const apps = [
    // The worker serves no HTTP; it is up once it says so in its log.
    appService('worker', [path.join(root, 'apps/worker/dist/main.js')], env, logsDir, { readyLine: 'worker ready' }),
    appService('gateway', [path.join(root, 'apps/gateway/dist/main.js')], env, logsDir, {
      port: settings.GATEWAY_PORT,
      healthUrl: `${gatewayUrl}/health/live`,
    }),
  ];
  if (options.portal) {
    apps.push(
      appService(
        'portal',
        [
          require.resolve('next/dist/bin/next', { paths: [path.join(root, 'apps/portal')] }),
          'start', path.join(root, 'apps/portal'), '-p', String(settings.PORTAL_PORT), '-H', '127.0.0.1',
        ],
        { ...env, KINEO_GATEWAY_URL: gatewayUrl },
        logsDir,
        { port: settings.PORTAL_PORT, healthUrl: `http://127.0.0.1:${settings.PORTAL_PORT}/api/health` },
      ),
    );
  }
  return apps;
}

function appService(
  name: ServiceName,
  command: string[],
  env: Record<string, string>,
  logsDir: string,
  ready: { port?: number; healthUrl?: string; readyLine?: string },
): Service {
  const log = path.join(logsDir, `${name}.log`);
  let child: ChildProcess | undefined;
  return {
    name,
    port: ready.port,
    url: ready.healthUrl && new URL(ready.healthUrl).origin,
    log,
    async start() {
      const out = openPrivateLog(log);
      const from = fs.fstatSync(out).size;
      const launched = spawn(process.execPath, command, { env, cwd: repoRoot(), stdio: ['ignore', out, out] });
      fs.closeSync(out);
      child = launched;
      const what = { name, child: launched };
      if (ready.healthUrl) await waitForHttp(ready.healthUrl, what, log);
      if (ready.readyLine) await waitForLogLine(log, from, ready.readyLine, what);
      return launched.pid!;
    },
    alive: () => Boolean(child && child.exitCode === null && child.signalCode === null),
    stop: () => stopChild(child),
  };
}

/** Resolves once `line` appears in the log after byte `from` (what this launch wrote). */
async function waitForLogLine(log: string, from: number, line: string, m: { name: string; child?: ChildProcess }, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fd = fs.openSync(log, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.max(0, size - from));
      fs.readSync(fd, buffer, 0, buffer.length, from);
      if (buffer.toString('utf8').includes(line)) return;
    } finally {
      fs.closeSync(fd);
    }
    if (m.child && (m.child.exitCode !== null || m.child.signalCode !== null)) {
      throw new Error(`the ${m.name} exited (${m.child.signalCode ?? m.child.exitCode}) while starting; see ${log}:\n${tail(log)}`);
    }
    if (Date.now() > deadline) throw new Error(`the ${m.name} did not say "${line}" within ${timeoutMs / 1000} s; see ${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function waitForHttp(url: string, m: { name: string; child?: ChildProcess }, log: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (m.child && (m.child.exitCode !== null || m.child.signalCode !== null)) {
      throw new Error(`the ${m.name} exited (${m.child.signalCode ?? m.child.exitCode}) while starting; see ${log}:\n${tail(log)}`);
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
