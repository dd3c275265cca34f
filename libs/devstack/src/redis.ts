import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort, waitForPort } from './ports';

export interface RedisServer {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  port?: number;
  /** Directory for Redis's working files; nothing is persisted unless `persist`. */
  dir: string;
  /**
   * Keep the data across restarts and crashes: an append-only file fsynced every second (BullMQ's
   * guidance: an RDB snapshot alone loses the queue since the last one) plus periodic snapshots.
   */
  persist?: boolean;
  logFile?: string;
  /** The redis-server program (the REDIS_SERVER_BIN setting). */
  serverBin: string;
}

/** Starts a real redis-server (from Debian's package) on a loopback port. */
export async function startRedis(options: StartRedisOptions): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  fs.mkdirSync(options.dir, { recursive: true });
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', options.dir,
    '--save', options.persist ? '60 1' : '',
    '--appendonly', options.persist ? 'yes' : 'no',
    '--appendfsync', 'everysec',
    '--maxmemory-policy', 'noeviction',
    '--logfile', options.logFile ?? '',
  ];
  const child = spawn(options.serverBin, args, { stdio: 'ignore' });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(new Error(`could not start redis-server (${err.message}); run "npm run setup" to install it`)),
    );
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before listening on ${port}`)));
  });
  exited.catch(() => undefined);
  await Promise.race([waitForPort(port), exited]);
  child.removeAllListeners('exit');
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
