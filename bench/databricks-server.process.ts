// Starts bench/databricks-server.main.ts as a child process and reads the connection it prints.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { DatabricksServerProcessInfo } from './databricks-server.main';
import { ROOT } from './support';

export interface DatabricksServerProcess extends DatabricksServerProcessInfo {
  stop(): Promise<void>;
}

export async function startDatabricksServerProcess(): Promise<DatabricksServerProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'bench/databricks-server.main.ts')], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the local Databricks server exited (${code}) before it listened`)));
  });
  const info = JSON.parse(line) as DatabricksServerProcessInfo;
  return {
    ...info,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
