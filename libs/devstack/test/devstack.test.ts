import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadSetting } from '@kineo/config';
import { isPortOpen, startPostgres, startRedis } from '../src';

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

describe('the local Postgres and Redis launchers', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-devstack-'));
    fs.chmodSync(dir, 0o755);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps a persistent cluster and its database across a restart on the same port', async () => {
    const dataDir = path.join(dir, 'postgres');
    const first = await startPostgres({ dataDir, persistent: true, password: 's3cret' });
    const port = first.port;
    try {
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

    const second = await startPostgres({ dataDir, port, persistent: true, password: 's3cret' });
    try {
      const client = new Client({ connectionString: second.url('kineo') });
      await client.connect();
      expect((await client.query('select n from kept')).rows).toEqual([{ n: 7 }]);
      await client.end();
    } finally {
      await second.stop();
    }
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
