import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import type { Settings } from '@kineo/config';
import { isPortOpen } from '@kineo/devstack';
import { CliError, printJson, printTable } from '../output';
import { openPrivateLog, privateDir, runSupervisor, tail } from '../stack/supervisor';
import { isAlive, readState, removeState, resolveDataDir, SERVICE_ORDER, type StackState } from '../stack/state';

export interface StackStatus {
  running: boolean;
  status: StackState['status'] | 'stopped';
  pid?: number;
  startedAt?: string;
  error?: string;
  services: { name: string; status: string; external: boolean; pid?: number; port?: number; url?: string; log?: string }[];
}

export async function stackStatus(dataDir: string): Promise<StackStatus> {
  const state = readState(dataDir);
  if (!state) return { running: false, status: 'stopped', services: [] };
  if (!isAlive(state.pid)) {
    return { running: false, status: state.status === 'failed' ? 'failed' : 'stopped', error: state.error, services: [] };
  }
  const services = [];
  for (const name of SERVICE_ORDER) {
    const s = state.services[name];
    if (!s) continue;
    let status: string = s.status;
    if (s.status === 'running') {
      const alive = s.external || isAlive(s.pid);
      const listening = s.port ? await isPortOpen(s.port) : true;
      if (!alive || !listening) status = alive ? 'not listening' : 'dead';
    }
    services.push({ name, status, external: s.external, pid: s.pid, port: s.port, url: s.url, log: s.log });
  }
  return {
    running: state.status === 'running' && services.every((s) => s.status === 'running'),
    status: state.status,
    pid: state.pid,
    startedAt: state.startedAt,
    error: state.error,
    services,
  };
}

export function printStackStatus(status: StackStatus): void {
  if (status.services.length === 0) {
    process.stdout.write(`The local stack is ${status.status}.${status.error ? ` Last error: ${status.error}` : ''}\n`);
    return;
  }
  process.stdout.write(`The local stack is ${status.running ? 'running' : status.status} (supervisor pid ${status.pid}).\n`);
  printTable(
    status.services.map((s) => ({ ...s, external: s.external ? 'yes' : '' })),
    ['name', 'status', 'port', 'pid', 'external', 'url'],
  );
}

/**
 * Starts the stack in the background unless it is already running; resolves once every service
 * is up. On a half-dead stack it asks the supervisor to restart the dead services now (SIGUSR2),
 * and if the supervisor itself is gone it stops the services it left behind and starts afresh.
 */
export async function stackUp(settings: Settings, options: { portal: boolean; timeoutMs?: number }): Promise<StackStatus> {
  const dataDir = resolveDataDir(settings.KINEO_DATA_DIR);
  const current = await stackStatus(dataDir);
  const supervising = current.status === 'running' || current.status === 'starting';
  if (supervising) {
    if (options.portal && !current.services.some((s) => s.name === 'portal')) {
      throw new CliError('The stack is running without the portal; run "kineo stack down" first, then "kineo stack up --portal".');
    }
    if (current.running) return current;
    if (current.status === 'running') process.kill(current.pid!, 'SIGUSR2');
  } else {
    await stopLeftovers(readState(dataDir));
    removeState(dataDir);
    privateDir(path.join(dataDir, 'logs'));
    const log = path.join(dataDir, 'logs', 'stack.log');
    const out = openPrivateLog(log);
    const args = [path.join(__dirname, '..', '..', 'bin', 'kineo.js'), 'stack', 'run', ...(options.portal ? ['--portal'] : [])];
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, KINEO_DATA_DIR: dataDir },
    });
    fs.closeSync(out);
    child.unref();
  }
  const deadline = Date.now() + (options.timeoutMs ?? 240_000);
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    const state = readState(dataDir);
    if (state?.status === 'running') {
      const status = await stackStatus(dataDir);
      if (status.running) return status;
    }
    if (state?.status === 'failed' || (state && !isAlive(state.pid))) {
      throw new CliError(
        `The stack failed to start: ${state.error ?? 'the supervisor exited'}\n` +
          `Log (${path.join(dataDir, 'logs', 'stack.log')}):\n${tail(path.join(dataDir, 'logs', 'stack.log'))}`,
      );
    }
    if (Date.now() > deadline) {
      const dead = (await stackStatus(dataDir)).services.filter((s) => s.status !== 'running').map((s) => `${s.name} (${s.status})`);
      throw new CliError(`The stack did not come up in time${dead.length ? `: ${dead.join(', ')}` : ''}; see ${path.join(dataDir, 'logs')}.`);
    }
  }
}

/**
 * Services a dead supervisor left running (its own Postgres, Redis and apps, never external ones)
 * hold the ports a new stack needs: stopped gracefully, then killed after a grace period.
 */
async function stopLeftovers(state: StackState | undefined): Promise<void> {
  if (!state || isAlive(state.pid)) return;
  const left = SERVICE_ORDER.map((name) => state.services[name])
    .filter((s): s is NonNullable<typeof s> => Boolean(s && !s.external && isAlive(s.pid)))
    .reverse();
  for (const s of left) {
    // SIGINT is Postgres's fast shutdown; the others take SIGTERM.
    process.kill(s.pid!, s.name === 'postgres' ? 'SIGINT' : 'SIGTERM');
    const deadline = Date.now() + 40_000;
    while (isAlive(s.pid)) {
      if (Date.now() > deadline) process.kill(s.pid!, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function stackDown(settings: Settings): Promise<boolean> {
  const dataDir = resolveDataDir(settings.KINEO_DATA_DIR);
  const state = readState(dataDir);
  if (!state || !isAlive(state.pid)) {
    removeState(dataDir);
    return false;
  }
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + 90_000;
  while (isAlive(state.pid)) {
    if (Date.now() > deadline) {
      for (const s of Object.values(state.services)) if (s && !s.external && isAlive(s.pid)) process.kill(s.pid!, 'SIGKILL');
      process.kill(state.pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  removeState(dataDir);
  return true;
}

export function stackCommand(settings: () => Settings): Command {
  const stack = new Command('stack').description('start, stop and inspect the local stack (Postgres, Redis, worker, gateway, portal)');

  stack
    .command('up')
    .description('start the local stack in the background, or whatever part of it is dead')
    .option('--portal', 'also serve the portal (needs "npm run build" first)')
    .option('--json', 'print JSON')
    .action(async (options: { portal?: boolean; json?: boolean }) => {
      const status = await stackUp(settings(), { portal: Boolean(options.portal) });
      if (options.json) return printJson(status);
      printStackStatus(status);
    });

  stack
    .command('down')
    .description('stop the local stack; data is kept under the data directory')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const stopped = await stackDown(settings());
      if (options.json) return printJson({ stopped });
      process.stdout.write(stopped ? 'The local stack has stopped.\n' : 'The local stack was not running.\n');
    });

  stack
    .command('status')
    .description('show what is running on which port (exit code 3 when stopped)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const status = await stackStatus(resolveDataDir(settings().KINEO_DATA_DIR));
      if (options.json) printJson(status);
      else printStackStatus(status);
      if (!status.running) process.exitCode = 3;
    });

  stack
    .command('run', { hidden: true })
    .description('run the stack in the foreground (what "up" starts in the background)')
    .option('--portal', 'also serve the portal')
    .action(async (options: { portal?: boolean }) => {
      await runSupervisor(settings(), resolveDataDir(settings().KINEO_DATA_DIR), { portal: Boolean(options.portal) });
      await new Promise(() => undefined);
    });

  return stack;
}
