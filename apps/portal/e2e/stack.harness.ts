import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { runProgram } from '@kineo/testkit';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
const kineoBin = path.join(repoRoot, 'apps', 'cli', 'bin', 'kineo.js');
/** Runs the built `kineo` CLI as a person would (as the CLI's tests do); a failure stops the run with what it printed. */
export async function kineo(args: string[], env: Record<string, string>): Promise<string> {
  const { code, stdout, stderr } = await runProgram(process.execPath, [kineoBin, ...args], env);
  if (code !== 0) throw new Error(`kineo ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`);
  return stdout;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export interface Service {
  name: string;
  child: ChildProcess;
  log: string;
}

/** A service is ready when its URL answers 2xx, or when its log says so (the worker has no port). */
export type Readiness = { url: string } | { logLine: string };

/**
 * Starts a long-running process in its own process group (so stopping it stops what it spawned) with
 * its output in a log file, and waits until it is ready.
 */
export async function startService(
  name: string,
  args: string[],
  env: Record<string, string>,
  ready: Readiness,
  logDir: string,
  options: { cwd?: string; limitMs?: number } = {},
): Promise<Service> {
  fs.mkdirSync(logDir, { recursive: true });
  const log = path.join(logDir, `${name}.log`);
  const out = fs.openSync(log, 'a');
  const child = spawn(process.execPath, args, { cwd: options.cwd ?? repoRoot, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const limit = Date.now() + (options.limitMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.signalCode ?? child.exitCode}) before it was ready:\n${fs.readFileSync(log, 'utf8')}`);
    }
    const ok =
      'url' in ready ? await fetch(ready.url).then((r) => r.ok, () => false) : fs.readFileSync(log, 'utf8').includes(ready.logLine);
    if (ok) return { name, child, log };
    if (Date.now() > limit) throw new Error(`${name} was not ready in time:\n${fs.readFileSync(log, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function stopService(service: Service | undefined): Promise<void> {
  const child = service?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

/** The built portal (`next start`) against a gateway, as the browser tests and bench/portal run it. */
export async function startPortal(
  env: Record<string, string>,
  gatewayUrl: string,
  logDir: string,
  portalPort?: number,
): Promise<{ service: Service; url: string }> {
  portalPort ??= await freePort();
  const url = `http://127.0.0.1:${portalPort}`;
  const portalDir = path.join(repoRoot, 'apps/portal');
  if (!fs.existsSync(path.join(portalDir, '.next', 'BUILD_ID'))) throw new Error('no production build in apps/portal/.next: run `next build` first');
  const service = await startService(
    'portal',
    [require.resolve('next/dist/bin/next', { paths: [portalDir] }), 'start', portalDir, '-p', String(portalPort), '-H', '127.0.0.1'],
    { ...env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', KINEO_GATEWAY_URL: gatewayUrl },
    { url: `${url}/api/health` },
    logDir,
    { cwd: portalDir },
  );
  return { service, url };
}
