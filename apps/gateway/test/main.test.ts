import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { createPrismaClient } from '@kineo/db';
import { freePort, startTestStack, type TestStack } from '@kineo/testkit';
import { DuckDbWarehouse } from '@kineo/warehouse';

// The built entry point, as `npm start` and the container run it; `npm test` builds it first.
const MAIN = path.join(__dirname, '..', 'dist', 'main.js');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function runMain(env: Record<string, string>): ChildProcess {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build -w @kineo/gateway" first`);
  // Only what the gateway is given here: a developer's own GATEWAY_PORT must not leak into the test.
  return spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(stream: NodeJS.ReadableStream): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  return () => text;
}

describe('the gateway process', () => {
  it('refuses to start on an invalid GATEWAY_PORT, naming the variable, without a stack trace', async () => {
    const child = runMain({ GATEWAY_PORT: 'abc', NODE_ENV: 'test' });
    const stderr = collect(child.stderr!);
    const stdout = collect(child.stdout!);

    const exit = await exitOf(child);

    expect(exit.code).toBe(1);
    expect(stderr()).toContain('GATEWAY_PORT');
    expect(stderr()).toContain('"abc"');
    expect(stderr()).not.toMatch(/^\s+at /m);
    expect(stdout()).toBe('');
  });

  describe('on a running stack', () => {
    let stack: TestStack;

    beforeAll(async () => {
      stack = await startTestStack();
    });

    afterAll(async () => {
      await stack?.stop();
    });

    it('listens on GATEWAY_HOST:GATEWAY_PORT, logs its URLs, and shuts down cleanly on SIGTERM', async () => {
      const port = await freePort();
      const child = runMain({ ...stack.env, LOG_LEVEL: 'info', GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port) });
      const exited = exitOf(child);
      const stderr = collect(child.stderr!);
      try {
        const listening = await new Promise<{ msg: string }>((resolve, reject) => {
          const lines = readline.createInterface({ input: child.stdout! });
          lines.on('line', (line) => {
            const entry = JSON.parse(line) as { msg?: string };
            if (entry.msg?.startsWith('Gateway listening')) resolve(entry as { msg: string });
          });
          void exited.then((exit) => reject(new Error(`the gateway exited (${JSON.stringify(exit)}): ${stderr()}`)));
        });
        expect(listening.msg).toContain(`http://127.0.0.1:${port}/graphql`);
        expect(listening.msg).toContain(`http://127.0.0.1:${port}/health`);

        // Its first checks open connections and a DuckDB; on a loaded machine one can outlast its
        // 1-2 s limit and answer 503 once, which is what a readiness probe asks again for.
        let health = await fetch(`http://127.0.0.1:${port}/health`);
        for (let tries = 1; health.status === 503 && tries < 10; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          health = await fetch(`http://127.0.0.1:${port}/health`);
        }
        expect({ status: health.status, body: health.status === 200 ? undefined : await health.text() }).toEqual({ status: 200, body: undefined });
      } finally {
        child.kill('SIGTERM');
      }

      const exit = await exited;
      // The app is closed (requests drained, Prisma and Redis disconnected) and the exit is 0.
      expect(exit).toEqual({ code: 0, signal: null });
      expect(stderr()).toBe('');
    });

    it('closes every DuckDB instance and connection it opened with the app, and its process then exits by itself', async () => {
      // A tenant with published gold, so /health reads it: the snapshot reader and the read-only guard open.
      const prisma = createPrismaClient(stack.databaseUrl, { poolSize: 1 });
      const namespace = 't_00ex01';
      try {
        const tenant = await prisma.tenant.create({ data: { slug: 'exits', name: 'exits', namespace, status: 'active', dataVersion: 1 } });
        const worker = new DuckDbWarehouse({ rootDir: path.join(stack.env.KINEO_DATA_DIR!, 'warehouse'), threads: 1 });
        try {
          await worker.provision({ tenantId: tenant.id, namespace });
          await worker.execute({ tenantId: tenant.id, namespace }, 'create table gold.dim_user as select 1 as user_key');
          await worker.publish({ tenantId: tenant.id, namespace }, 1);
        } finally {
          await worker.close();
        }
      } finally {
        await prisma.$disconnect();
      }

      // Unlike main.js, nothing here calls process.exit: the process ends when nothing holds it.
      // DuckDB's objects alone never hold a process open, so the script also counts the ones the
      // gateway opened (through the binding the warehouse loads) and left unclosed.
      const script = `
        const path = require('node:path');
        const duckdb = require(require.resolve('@duckdb/node-api', { paths: [path.dirname(require.resolve('@kineo/warehouse'))] }));
        const open = { instances: new Set(), connections: new Set() };
        const opened = { instances: 0, connections: 0 };
        const track = (kind, promise) => promise.then((made) => { open[kind].add(made); opened[kind] += 1; return made; });
        const { create, fromCache } = duckdb.DuckDBInstance;
        duckdb.DuckDBInstance.create = (...args) => track('instances', create.apply(duckdb.DuckDBInstance, args));
        duckdb.DuckDBInstance.fromCache = (...args) => track('instances', fromCache.apply(duckdb.DuckDBInstance, args));
        const instance = duckdb.DuckDBInstance.prototype;
        const { connect, closeSync } = instance;
        instance.connect = function () { return track('connections', connect.call(this)); };
        instance.closeSync = function () { open.instances.delete(this); return closeSync.call(this); };
        const connection = duckdb.DuckDBConnection.prototype;
        const { disconnectSync } = connection;
        connection.disconnectSync = function () { open.connections.delete(this); return disconnectSync.call(this); };

        const { loadSettings } = require('@kineo/config');
        const { createGateway } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'app.js'))});
        (async () => {
          const app = await createGateway(loadSettings());
          const health = await app.inject({ method: 'GET', url: '/health' });
          await app.close();
          process.stdout.write(JSON.stringify({
            warehouse: health.json().info.warehouse,
            opened,
            leftOpen: { instances: open.instances.size, connections: open.connections.size },
          }));
          // Only seen if something still holds the process: what it is.
          setTimeout(() => process.stderr.write('still running: ' + JSON.stringify(process.getActiveResourcesInfo())), 20000).unref();
        })().catch((error) => {
          process.stderr.write(String(error && error.stack || error));
          process.exitCode = 1;
        });
      `;
      const child = spawn(process.execPath, ['-e', script], {
        cwd: path.join(__dirname, '..'),
        env: { PATH: process.env.PATH ?? '', ...stack.env, LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const stdout = collect(child.stdout!);
      const stderr = collect(child.stderr!);
      // A generous bound, so a process that never exits fails here rather than at Jest's timeout;
      // it is not a measure of how fast it exits.
      const stillRunning = setTimeout(() => child.kill('SIGKILL'), 90_000);
      const exit = await exitOf(child).finally(() => clearTimeout(stillRunning));

      expect({ exit, stderr: stderr() }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
      const report = JSON.parse(stdout()) as { warehouse: unknown; opened: { instances: number; connections: number }; leftOpen: unknown };
      expect(report.warehouse).toMatchObject({ status: 'up', checked: 'published gold' });
      // The snapshot and the guard at least: the count proves the gateway went through DuckDB.
      expect(report.opened.instances).toBeGreaterThanOrEqual(2);
      expect(report.leftOpen).toEqual({ instances: 0, connections: 0 });
    });
  });
});
