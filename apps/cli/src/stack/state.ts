import fs from 'node:fs';
import path from 'node:path';
import { isPidAlive } from '@kineo/devstack';

export type ServiceName = 'postgres' | 'redis' | 'worker' | 'gateway' | 'portal';

export interface ServiceState {
  name: ServiceName;
  /** Started by someone else (already listening when the stack came up); left alone by "down". */
  external: boolean;
  pid?: number;
  port?: number;
  url?: string;
  log?: string;
  restarts?: number;
  status: 'starting' | 'running' | 'failed' | 'stopped';
  error?: string;
}

export interface StackState {
  pid: number;
  startedAt: string;
  status: 'starting' | 'running' | 'failed' | 'stopping';
  dataDir: string;
  error?: string;
  services: Partial<Record<ServiceName, ServiceState>>;
}

export const SERVICE_ORDER: ServiceName[] = ['postgres', 'redis', 'worker', 'gateway', 'portal'];

/** The repository root, where the apps' built entry points live. */
export function repoRoot(): string {
  return path.resolve(__dirname, '..', '..', '..', '..');
}

export function resolveDataDir(dataDir: string): string {
  return path.isAbsolute(dataDir) ? dataDir : path.join(repoRoot(), dataDir);
}

export function stateFile(dataDir: string): string {
  return path.join(dataDir, 'stack', 'state.json');
}

export function readState(dataDir: string): StackState | undefined {
  try {
    return JSON.parse(fs.readFileSync(stateFile(dataDir), 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

export function writeState(state: StackState): void {
  const file = stateFile(state.dataDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, file);
}

export function removeState(dataDir: string): void {
  fs.rmSync(stateFile(dataDir), { force: true });
}

/** True while the process exists (also when it belongs to another user, e.g. the postgres postmaster). */
export const isAlive = isPidAlive;
