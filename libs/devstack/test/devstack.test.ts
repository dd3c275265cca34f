import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadSetting } from '@kineo/config';
import { isPidAlive, isPortOpen, startPostgres, startRedis, type StartPostgresOptions } from '../src';

function redisPing(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().trim());
    });
    socket.once('error', reject);
  });
}

/** Starts a cluster, runs the statements in its `kineo` database and stops it: the last one's rows. */
async function queryOnce(options: StartPostgresOptions, ...statements: string[]): Promise<unknown[]> {
  const server = await startPostgres(options);
  try {
    const client = new Client({ connectionString: server.url('kineo') });
    await client.connect();
    try {
      let rows: unknown[] = [];
      for (const sql of statements) rows = (await client.query(sql)).rows;
      return rows;
    } finally {
      await client.end();
    }
  } finally {
    await server.stop();
  }
}

describe('the local Postgres and Redis launchers', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-devstack-'));
    fs.chmodSync(dir, 0o755);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps a persistent cluster and its database across a restart on the same port', async () => {
    const dataDir = path.join(dir, 'postgres');
    const password = 'kept-cluster-s3cret';
    const first = await startPostgres({ dataDir, persistent: true, password });
    const port = first.port;
    try {
      // Any user on the machine can list processes' arguments: the password must not be among them.
      expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(password);
      for (const pid of [first.process.pid, first.postmasterPid]) {
        expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain(dataDir);
        expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(password);
        expect(fs.readFileSync(`/proc/${pid}/environ`, 'utf8')).not.toContain(password);
      }
      await first.createDatabase('kineo');
      await first.createDatabase('kineo');
      const client = new Client({ connectionString: first.url('kineo') });
      await client.connect();
      await client.query('create table kept (n int)');
      await client.query('insert into kept values (7)');
      await client.end();
    } finally {
      await first.stop();
    }
    expect(await isPortOpen(port)).toBe(false);

    expect(await queryOnce({ dataDir, port, persistent: true, password }, 'select n from kept')).toEqual([{ n: 7 }]);

    // Seeded from the stopped cluster: a copy with its data, which the seed does not see.
    const seeded = { dataDir: path.join(dir, 'seeded'), seedFrom: dataDir, password };
    expect(await queryOnce(seeded, 'insert into kept values (8)', 'select n from kept order by n')).toEqual([{ n: 7 }, { n: 8 }]);
    expect(await queryOnce({ dataDir, persistent: true, password }, 'select n from kept')).toEqual([{ n: 7 }]);
  });

  it('refuses to seed a cluster from a folder that holds none, naming it', async () => {
    const empty = path.join(dir, 'not-a-cluster');
    fs.mkdirSync(empty);
    await expect(startPostgres({ dataDir: path.join(dir, 'unseeded'), seedFrom: empty })).rejects.toThrow(
      `cannot seed a Postgres cluster from ${empty}: it holds no cluster (no PG_VERSION)`,
    );
  });

  it('starts Redis on a free loopback port and stops it', async () => {
    const redis = await startRedis({ dir: path.join(dir, 'redis'), serverBin: loadSetting('REDIS_SERVER_BIN') });
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await redisPing(redis.port)).toBe('+PONG');
    } finally {
      await redis.stop();
    }
    expect(await isPortOpen(redis.port)).toBe(false);
  });
});

describe('isPidAlive', () => {
  it('calls a process that was killed but not yet reaped (a zombie) not alive', async () => {
    // `sleep 300` becomes the parent of the backgrounded sleep and never reaps it, as a slow init
    // does not reap a killed supervisor for seconds.
    const parent = spawn('sh', ['-c', 'sleep 300 & echo $!; exec sleep 300'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
      expect(isPidAlive(pid)).toBe(true);
      // Killed only once the shell has become `sleep`: a shell still running would reap it at once.
      const comm = () => fs.readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim();
      for (let i = 0; i < 250 && comm() !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(comm()).toBe('sleep');
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 50 && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).toContain(') Z');
      expect(isPidAlive(pid)).toBe(false);
      expect(isPidAlive(parent.pid)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
