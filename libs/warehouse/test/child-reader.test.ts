import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSettings } from '@kineo/config';
import { ChildReaderWarehouse, createWarehouse, DuckDbWarehouse, namespaceForTenantSeq, type ReaderEvent } from '../src';
import { expectWarehouseError, warehouseContract } from './contract';

// Every behaviour of a driver, with DuckDB in a reader process of its own.
warehouseContract('duckdb in a reader process', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-wh-child-'));
  return {
    warehouse: ChildReaderWarehouse.duckdb({ rootDir: path.join(dir, 'warehouse'), landingRoot: path.join(dir, 'landing'), threads: 1, memoryLimit: '256MB' }),
    landingRoot: path.join(dir, 'landing'),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});

const tenant = { tenantId: 'a', namespace: namespaceForTenantSeq(1) };
/** Long enough to be caught running (minutes), light enough to stop at once. */
const LONG_QUERY = 'select count(*) as n from range(100000000000) t(i) where i % 7 = 3';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the DuckDB reader process', () => {
  let dir: string;
  let rootDir: string;
  let warnings: string[];
  let events: ReaderEvent[];
  let wh: ChildReaderWarehouse;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-child-reader-'));
    rootDir = path.join(dir, 'warehouse');
    // The published data is written by a worker-side driver in this process, as the worker would.
    const worker = new DuckDbWarehouse({ rootDir, threads: 1 });
    await worker.provision(tenant);
    await worker.execute(tenant, "create table gold.people as select * from (values (1, 'Ada', date '2026-03-01', 9007199254740993::bigint), (2, 'Grace', null, 2::bigint)) t(id, name, joined, big)");
    await worker.publish(tenant, 1);
    await worker.close();
  });

  beforeEach(() => {
    warnings = [];
    events = [];
    wh = ChildReaderWarehouse.duckdb({ rootDir, threads: 1, warn: (message) => warnings.push(message), events: (event) => events.push(event) });
  });

  afterEach(async () => {
    await wh.close();
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('answers with the values the driver gives in process: dates as days, integers too large for a number as bigint, NULL as null', async () => {
    const sql = 'select id, name, joined, big from gold.people order by id';
    const inProcess = new DuckDbWarehouse({ rootDir, threads: 1 });
    try {
      const expected = await inProcess.queryPublished(tenant, sql);
      const answer = await wh.queryPublished(tenant, sql);
      expect(answer).toEqual(expected);
      expect(answer.rows).toEqual([
        { id: 1, name: 'Ada', joined: '2026-03-01', big: 9007199254740993n },
        { id: 2, name: 'Grace', joined: null, big: 2 },
      ]);
    } finally {
      await inProcess.close();
    }
  });

  it('keeps DuckDB out of the calling process: only the reader maps libduckdb', () => {
    // A fresh Node process (not this test's, which loaded DuckDB for the set-up) reads through a reader process.
    const script = `
      const fs = require('node:fs');
      const { ChildReaderWarehouse } = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist'))});
      const maps = (pid) => fs.readFileSync('/proc/' + pid + '/maps', 'utf8').includes('libduckdb');
      (async () => {
        const wh = ChildReaderWarehouse.duckdb({ rootDir: ${JSON.stringify(rootDir)}, threads: 1 });
        const answer = await wh.queryPublished(${JSON.stringify(tenant)}, 'select count(*) as n from gold.people');
        const result = { n: answer.rows[0].n, callerMapsDuckDb: maps(process.pid), readerMapsDuckDb: maps(wh.readerPid) };
        await wh.close();
        process.stdout.write(JSON.stringify(result));
      })().catch((error) => { console.error(error); process.exit(1); });`;
    const output = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(JSON.parse(output)).toEqual({ n: 2, callerMapsDuckDb: false, readerMapsDuckDb: true });
  });

  it('refuses what the driver refuses, with the same codes: SQL that is not a read of gold, a statement past its timeout', async () => {
    await expectWarehouseError(wh.queryPublished(tenant, 'delete from gold.people'), 'WAREHOUSE_READ_ONLY');
    await expectWarehouseError(wh.queryPublished(tenant, "select * from read_csv('/etc/passwd')"), 'WAREHOUSE_READ_ONLY');
    const timedOut = await expectWarehouseError(wh.queryPublished(tenant, LONG_QUERY, [], { timeoutMs: 300 }), 'WAREHOUSE_TIMEOUT');
    expect(timedOut.message).toBe('The statement was stopped after 300 ms.');
    expect((await wh.queryPublished(tenant, 'select count(*) as n from gold.people')).rows).toEqual([{ n: 2 }]);
  });

  it('when the reader dies mid-query, refuses the queries in flight as unavailable, says why, and the next query starts a new reader', async () => {
    await wh.ping();
    const first = wh.readerPid;
    expect(first).toBeDefined();
    const running = expectWarehouseError(wh.queryPublished(tenant, LONG_QUERY), 'WAREHOUSE_UNAVAILABLE');
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(first as number, 'SIGKILL');
    const refused = await running;
    expect(refused.message).toBe('The warehouse reader process stopped while this request ran; try again.');
    expect(warnings).toEqual([`The warehouse reader process ${first} stopped (signal SIGKILL); 1 request(s) in flight were refused. The next request starts it again.`]);

    expect((await wh.queryPublished(tenant, 'select name from gold.people order by id')).rows).toEqual([{ name: 'Ada' }, { name: 'Grace' }]);
    expect(wh.readerPid).toBeDefined();
    expect(wh.readerPid).not.toBe(first);
    expect(events).toEqual([
      { kind: 'started', pid: first },
      { kind: 'stopped', pid: first, reason: 'crashed' },
      { kind: 'started', pid: wh.readerPid },
    ]);
  });

  it('kills a reader that does not answer a statement within its time limit and the grace, refuses what waited on it, and starts another', async () => {
    const watched = ChildReaderWarehouse.duckdb({ rootDir, threads: 1, statementTimeoutMs: 300, stuckGraceMs: 200, warn: (message) => warnings.push(message), events: (event) => events.push(event) });
    try {
      await watched.ping();
      const pid = watched.readerPid as number;
      // Stopped, it answers nothing: not even DuckDB's own interrupt at 300 ms can reply.
      process.kill(pid, 'SIGSTOP');
      const started = Date.now();
      await expectWarehouseError(watched.queryPublished(tenant, 'select count(*) as n from gold.people'), 'WAREHOUSE_UNAVAILABLE');
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      expect(warnings).toEqual([
        `The warehouse reader process ${pid} did not answer a statement within its 300 ms limit and 200 ms more; killing it.`,
        `The warehouse reader process ${pid} stopped (signal SIGKILL); 1 request(s) in flight were refused. The next request starts it again.`,
      ]);
      expect(alive(pid)).toBe(false);
      expect(events).toEqual([
        { kind: 'started', pid },
        { kind: 'stopped', pid, reason: 'stuck' },
      ]);
      expect((await watched.queryPublished(tenant, 'select count(*) as n from gold.people')).rows).toEqual([{ n: 2 }]);
      expect(watched.readerPid).not.toBe(pid);
    } finally {
      await watched.close();
    }
  });

  it('streams a chunk at a time, and a stream left early ends its query in the reader', async () => {
    const chunks: number[] = [];
    for await (const rows of wh.streamPublished(tenant, 'select i from range(25) t(i)', [], { chunkSize: 10 })) chunks.push(rows.length);
    expect(chunks).toEqual([10, 10, 5]);

    for await (const rows of wh.streamPublished(tenant, LONG_QUERY.replace('count(*) as n', 'i'), [], { chunkSize: 1 })) {
      expect(rows).toHaveLength(1);
      break;
    }
    // Were the query still running, the reader could not close its snapshot promptly.
    const started = Date.now();
    await wh.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await wh.queryPublished(tenant, 'select count(*) as n from gold.people')).rows).toEqual([{ n: 2 }]);
  });

  it('stops a reader left idle, and the next query starts one again', async () => {
    const idle = ChildReaderWarehouse.duckdb({ rootDir, threads: 1, idleExitMs: 200, events: (event) => events.push(event) });
    try {
      await idle.queryPublished(tenant, 'select 1 as x from gold.people limit 1');
      const pid = idle.readerPid as number;
      await until('the idle reader to stop', () => idle.readerPid === undefined && !alive(pid));
      expect(events).toEqual([
        { kind: 'started', pid },
        { kind: 'stopped', pid, reason: 'idle' },
      ]);
      expect((await idle.queryPublished(tenant, 'select count(*) as n from gold.people')).rows).toEqual([{ n: 2 }]);
      expect(idle.readerPid).not.toBe(pid);
    } finally {
      await idle.close();
    }
  });

  it('runs the reader warehouse the settings select when the settings ask for a reader process', async () => {
    const dataDir = path.dirname(rootDir);
    const settings = loadSettings({ KINEO_DATA_DIR: dataDir, WAREHOUSE_READER: 'child-process', SECRET_STORE: 'env' });
    const reader = await createWarehouse(settings, { get: async () => undefined, set: async () => undefined } as never, 'reader');
    try {
      expect(reader).toBeInstanceOf(ChildReaderWarehouse);
      expect(reader.engine).toBe('duckdb');
      expect((await reader.queryPublished(tenant, 'select name from gold.people order by id')).rows).toEqual([{ name: 'Ada' }, { name: 'Grace' }]);
      expect((reader as ChildReaderWarehouse).readerPid).toBeDefined();
    } finally {
      await reader.close();
    }
  });

  it('says why when the reader cannot open its warehouse and stops it; one that keeps stopping is not started for every call', async () => {
    // Databricks with a token that the secret store does not have.
    const settings = loadSettings({ KINEO_DATA_DIR: path.dirname(rootDir), WAREHOUSE_ENGINE: 'databricks', DATABRICKS_HOST: 'example.invalid', DATABRICKS_HTTP_PATH: '/sql/1.0/warehouses/x', SECRET_STORE: 'env' });
    const reader = ChildReaderWarehouse.fromSettings(settings, {}, { warn: (message) => warnings.push(message), events: (event) => events.push(event) });
    const why = async () => {
      const refused = await expectWarehouseError(reader.publishedVersion(tenant), 'WAREHOUSE_UNAVAILABLE');
      expect(refused.message).toBe('DATABRICKS_AUTH=token needs the secret "databricks-token" in the secret store (env).');
    };
    const started = () => events.filter((e) => e.kind === 'started').length;
    try {
      expect(reader.engine).toBe('databricks');
      // The first two calls each start a reader, which says why and stops.
      for (let attempt = 1; attempt <= 2; attempt++) {
        await why();
        await until('the reader to stop', () => reader.readerPid === undefined && events.length === attempt * 2);
      }
      expect(events.map((e) => (e.kind === 'stopped' ? e.reason : e.kind))).toEqual(['started', 'failed', 'started', 'failed']);
      expect(warnings).toEqual(['The warehouse reader process stopped 2 times in a row soon after starting; the next one starts in 500 ms at the earliest.']);
      // Within the half second, calls get the same answer without a reader being started.
      await why();
      await why();
      expect(started()).toBe(2);
      // After it, the next call starts one again.
      await new Promise((resolve) => setTimeout(resolve, 600));
      await why();
      expect(started()).toBe(3);
    } finally {
      await reader.close();
    }
  });

  it('closing stops the reader process; a request after it starts a new one', async () => {
    await wh.ping();
    const pid = wh.readerPid as number;
    await wh.close();
    expect(wh.readerPid).toBeUndefined();
    await until('the reader to exit', () => !alive(pid));
    await wh.ping();
    expect(wh.readerPid).not.toBe(pid);
    expect(warnings).toEqual([]);
    expect(events.slice(0, 2)).toEqual([
      { kind: 'started', pid },
      { kind: 'stopped', pid, reason: 'closed' },
    ]);
  });
});
