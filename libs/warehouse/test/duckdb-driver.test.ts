import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBConnection, type DuckDBInstance } from '@duckdb/node-api';
import { DuckDbWarehouse, HandleCache, WarehouseError, namespaceForTenantSeq } from '../src';

const a = { tenantId: 'a', namespace: namespaceForTenantSeq(1) };
const b = { tenantId: 'b', namespace: namespaceForTenantSeq(2) };

describe('the DuckDB warehouse', () => {
  let dir: string;
  let wh: DuckDbWarehouse;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-duck-'));
    wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), landingRoot: path.join(dir, 'landing'), threads: 1, idleMs: 60_000 });
    await wh.provision(a);
    await wh.provision(b);
    await wh.execute(b, "create table bronze.secrets as select 'b-only' as v");
    fs.writeFileSync(path.join(wh.landingDir(b), 'users.csv'), 'id\n1\n');
    fs.writeFileSync(path.join(wh.landingDir(a), 'users.csv'), 'id,name\n1,Ada\n2,Grace\n');
  });

  afterEach(async () => {
    await wh.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("cannot attach or read another tenant's files, even from the worker side", async () => {
    const otherWork = path.join(wh.tenantDir(b), 'work.duckdb');
    await expect(wh.execute(a, `attach '${otherWork}' as other (read_only)`)).rejects.toThrow('outside this tenant');
    await expect(wh.query(a, `select * from read_csv('${path.join(wh.landingDir(b), 'users.csv')}')`)).rejects.toThrow(WarehouseError);
    await expect(wh.execute(a, `copy (select 1) to '${path.join(wh.tenantDir(b), 'x.csv')}'`)).rejects.toThrow(WarehouseError);
    expect(fs.existsSync(path.join(wh.tenantDir(b), 'x.csv'))).toBe(false);
  });

  it("reads its own landing files with the dialect's CSV reader, every column as text", async () => {
    const result = await wh.query(a, `select id, name from ${wh.dialect.readCsv([path.join(wh.landingDir(a), 'users.csv')])} order by id`);
    expect(result.columns.map((c) => c.type)).toEqual(['VARCHAR', 'VARCHAR']);
    expect(result.rows).toEqual([{ id: '1', name: 'Ada' }, { id: '2', name: 'Grace' }]);
  });

  it('cannot loosen its own lock-down', async () => {
    await expect(wh.execute(a, 'set enable_external_access = true')).rejects.toThrow(WarehouseError);
    await expect(wh.execute(a, "set allowed_directories = ['/']")).rejects.toThrow(WarehouseError);
  });

  it('opens a tenant once however many ask at the same moment', async () => {
    await wh.close();
    wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), threads: 1 });
    const results = await Promise.all(Array.from({ length: 20 }, () => wh.query(b, 'select v from bronze.secrets')));
    expect(results.every((r) => r.rows[0].v === 'b-only')).toBe(true);
    expect(wh.openHandles().work).toBe(1);
  });

  it('keeps no more tenants open than configured, closing the least recently used', async () => {
    await wh.close();
    wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), threads: 1, maxOpenTenants: 2 });
    const many = [a, b, ...[3, 4, 5].map((n) => ({ tenantId: String(n), namespace: namespaceForTenantSeq(n) }))];
    for (const t of many) {
      await wh.provision(t);
      await wh.query(t, 'select 1 as x');
    }
    expect(wh.openHandles().work).toBe(2);
    // A closed tenant reopens transparently.
    expect((await wh.query(b, 'select v from bronze.secrets')).rows).toEqual([{ v: 'b-only' }]);
  });

  it('removes old snapshots but keeps the newest and any still open', async () => {
    await wh.execute(a, 'create table gold.t as select 1 as x');
    for (let v = 1; v <= 5; v++) await wh.publish(a, v);
    await wh.queryPublished(a, 'select * from gold.t', [], { version: 1 });
    expect(await wh.pruneSnapshots(a, 2)).toEqual([2, 3]);
    const left = fs.readdirSync(path.join(wh.tenantDir(a), 'gold')).sort();
    expect(left).toEqual(['v1.duckdb', 'v4.duckdb', 'v5.duckdb']);
  });

  it('makes a prepared version readable by number while the latest stays the published one, until it is published', async () => {
    await wh.execute(a, 'create table gold.t as select 1 as x');
    await wh.publish(a, 1);
    await wh.execute(a, 'insert into gold.t values (2)');
    await wh.prepareVersion(a, 2);
    // What readers that follow Postgres ask for exists before Postgres names it; the pointer has not moved.
    expect((await wh.queryPublished(a, 'select count(*) as n from gold.t', [], { version: 2 })).rows).toEqual([{ n: 2 }]);
    expect(await wh.publishedVersion(a)).toBe(1);
    expect((await wh.queryPublished(a, 'select count(*) as n from gold.t')).rows).toEqual([{ n: 1 }]);
    // Prepared again (a retry), then published: the pointer moves to it.
    await wh.prepareVersion(a, 2);
    await wh.publish(a, 2);
    expect(await wh.publishedVersion(a)).toBe(2);
    expect((await wh.queryPublished(a, 'select count(*) as n from gold.t')).rows).toEqual([{ n: 2 }]);
    await expect(wh.prepareVersion(a, 2)).rejects.toMatchObject({ code: 'WAREHOUSE_VERSION_INVALID' });
  });

  describe('with an idle budget for open snapshots', () => {
    // About 10 MB of blocks: far more than the budget, so what a snapshot keeps is measurable.
    const publishWide = async () => {
      await wh.execute(a, 'create table gold.wide as select range as id, md5(range::varchar) as s from range(300000)');
      await wh.publish(a, 1);
    };
    const readAll = "select count(*) as n from gold.wide where s <> ''";

    it('gives back what a snapshot cached once no query reads it, keeps it open, and answers the same', async () => {
      await publishWide();
      const keeping = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), threads: 1, memoryLimit: '256MB', idleSnapshotMemory: undefined });
      await wh.close();
      wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), threads: 1, memoryLimit: '256MB', idleSnapshotMemory: '1MB' });
      try {
        expect((await keeping.queryPublished(a, readAll)).rows).toEqual([{ n: 300000 }]);
        expect((await wh.queryPublished(a, readAll)).rows).toEqual([{ n: 300000 }]);
        const kept = Object.values(await keeping.snapshotMemory());
        const left = Object.values(await wh.snapshotMemory());
        expect(kept).toHaveLength(1);
        expect(left).toHaveLength(1);
        expect(kept[0]).toBeGreaterThan(4 * 1024 ** 2);
        expect(left[0]).toBeLessThanOrEqual(1024 ** 2);
        expect(wh.openHandles().snapshots).toBe(1);
        // Read again from the page cache, not reopened.
        expect((await wh.queryPublished(a, readAll)).rows).toEqual([{ n: 300000 }]);
        expect(wh.openHandles().snapshots).toBe(1);
      } finally {
        await keeping.close();
      }
    });

    it('answers queries that arrive while it is giving memory back, and streams', async () => {
      await publishWide();
      await wh.close();
      wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), threads: 1, memoryLimit: '256MB', idleSnapshotMemory: '1MB' });
      // Waves of parallel readers, each wave starting as the last one's shrink begins.
      for (let wave = 0; wave < 3; wave++) {
        const answers = await Promise.all(Array.from({ length: 4 }, () => wh.queryPublished(a, readAll)));
        expect(answers.map((r) => r.rows[0].n)).toEqual(Array(4).fill(300000));
      }
      let streamed = 0;
      for await (const chunk of wh.streamPublished(a, 'select id from gold.wide', [], { chunkSize: 50_000 })) streamed += chunk.length;
      expect(streamed).toBe(300000);
    });

    it('with a delay, keeps what it cached while queries keep coming and gives it back once none came for that long', async () => {
      await publishWide();
      await wh.close();
      // Timers faked (DuckDB's own work is not): the delay is stepped through, never waited for.
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
      try {
        wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), threads: 1, memoryLimit: '256MB', idleSnapshotMemory: '1MB', idleSnapshotDelayMs: 2_000 });
        expect((await wh.queryPublished(a, readAll)).rows).toEqual([{ n: 300000 }]);
        jest.advanceTimersByTime(1_999);
        // A query within the delay finds the cache and starts the delay again.
        expect((await wh.queryPublished(a, readAll)).rows).toEqual([{ n: 300000 }]);
        jest.advanceTimersByTime(1_999);
        expect(Object.values(await wh.snapshotMemory())[0]).toBeGreaterThan(4 * 1024 ** 2);
        jest.advanceTimersByTime(1);
        expect(Object.values(await wh.snapshotMemory())[0]).toBeLessThanOrEqual(1024 ** 2);
        expect(wh.openHandles().snapshots).toBe(1);
      } finally {
        jest.useRealTimers();
      }
    });

    it('lets only the snapshot read last wait: another one gives back as soon as a different one is read', async () => {
      await publishWide();
      await wh.execute(b, 'create table gold.wide as select range as id, md5(range::varchar) as s from range(300000)');
      await wh.publish(b, 1);
      await wh.close();
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
      try {
        wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), threads: 1, memoryLimit: '256MB', idleSnapshotMemory: '1MB', idleSnapshotDelayMs: 60_000 });
        await wh.queryPublished(a, readAll);
        await wh.queryPublished(b, readAll);
        // No time passed: a gave back as soon as b was read; b keeps its cache for its delay.
        const held = await wh.snapshotMemory();
        expect(held[`${a.namespace}:1`]).toBeLessThanOrEqual(1024 ** 2);
        expect(held[`${b.namespace}:1`]).toBeGreaterThan(4 * 1024 ** 2);
      } finally {
        jest.useRealTimers();
      }
    });

    it('closes a snapshot whose memory limit could not be raised again, says so, and the next query opens it again and answers', async () => {
      await publishWide();
      await wh.close();
      const warnings: string[] = [];
      wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), threads: 1, memoryLimit: '256MB', idleSnapshotMemory: '1MB', warn: (m) => warnings.push(m) });
      // The one fault injected: raising the limit back fails once, on the real engine.
      // Called with the connection as `this` below.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      const run = DuckDBConnection.prototype.run;
      let raises = 0;
      const spy = jest.spyOn(DuckDBConnection.prototype, 'run').mockImplementation(function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
        if (sql === "set memory_limit = '256MB'" && raises++ === 0) return Promise.reject(new Error('Out of Memory Error: the limit could not be raised'));
        return (run as (sql: string, ...rest: unknown[]) => ReturnType<DuckDBConnection['run']>).call(this, sql, ...rest);
      });
      try {
        expect((await wh.queryPublished(a, readAll)).rows).toEqual([{ n: 300000 }]);
        // Its give-back started as it left; this query waits for it, finds the snapshot broken and gets it opened again.
        expect((await wh.queryPublished(a, readAll)).rows).toEqual([{ n: 300000 }]);
      } finally {
        spy.mockRestore();
      }
      expect(raises).toBeGreaterThanOrEqual(1);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^Snapshot t_000001:1 could not raise its memory limit back to 256MB after giving its cache back \(Out of Memory Error: the limit could not be raised\); closing it/);
      expect(wh.openHandles().snapshots).toBe(1);
      // The reopened snapshot runs at its full limit again, giving back and raising as before.
      expect((await wh.queryPublished(a, readAll)).rows).toEqual([{ n: 300000 }]);
      expect(warnings).toHaveLength(1);
    });

    it('still refuses SQL that would change its settings, though they are no longer locked', async () => {
      await publishWide();
      await wh.close();
      wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), threads: 1, idleSnapshotMemory: '1MB' });
      await wh.queryPublished(a, 'select 1 as x');
      for (const sql of ['set enable_external_access = true', "set memory_limit = '100GB'", 'reset lock_configuration', "select * from read_text('/etc/hostname')"]) {
        await expect(wh.queryPublished(a, sql)).rejects.toMatchObject({ code: 'WAREHOUSE_READ_ONLY' });
      }
      // Below the guard, on the engine itself as the driver opens it: what confines it cannot be undone.
      const opened = await (wh as unknown as { openSnapshot(key: string, file: string): Promise<{ instance: DuckDBInstance; close(): Promise<void> }> }).openSnapshot(
        'below-the-guard',
        path.join(wh.tenantDir(a), 'gold', 'v1.duckdb'),
      );
      const c = await opened.instance.connect();
      try {
        for (const sql of ['set enable_external_access = true', "set allowed_directories = ['/']", "set allowed_paths = ['/etc/hostname']", "set access_mode = 'READ_WRITE'"]) {
          await expect(c.run(sql)).rejects.toThrow(/Cannot (enable|change)/);
        }
        await expect(c.run(`attach '${path.join(wh.tenantDir(b), 'work.duckdb')}' as other (read_only)`)).rejects.toThrow(/disabled by configuration/);
        await expect(c.run("select * from read_text('/etc/hostname')")).rejects.toThrow(/disabled by configuration/);
      } finally {
        c.closeSync();
        await opened.close();
      }
    });
  });

  it('derives a version from a published one (not from the working layers), readable by number until published', async () => {
    await wh.execute(a, 'create table gold.t as select 1 as x');
    await wh.publish(a, 1);
    // The working gold has moved on (a build that was not published): a derived version never sees it.
    await wh.execute(a, 'insert into gold.t values (99)');
    // Derived on a copy: the working layers are never touched, so nothing is left to put back, and builds have no versions to pin.
    expect(await wh.deriveVersion(a, 1, 2, ['create or replace table gold.summary as select count(*) as n, sum(x) as total from gold.t'])).toEqual({ unrestored: [] });
    expect(await wh.tableVersions(a, 'gold', ['t'])).toBeNull();
    await expect(wh.prepareVersion(a, 3, { t: 1 })).rejects.toMatchObject({ code: 'WAREHOUSE_VERSION_INVALID', message: expect.stringContaining('cannot pin t') });
    expect((await wh.queryPublished(a, 'select n, total from gold.summary', [], { version: 2 })).rows).toEqual([{ n: 1, total: 1 }]);
    expect((await wh.queryPublished(a, 'select x from gold.t', [], { version: 2 })).rows).toEqual([{ x: 1 }]);
    expect(await wh.publishedVersion(a)).toBe(1);
    await expect(wh.queryPublished(a, 'select * from gold.summary', [], { version: 1 })).rejects.toThrow(/summary/);
    await wh.publish(a, 2);
    expect((await wh.queryPublished(a, 'select n from gold.summary')).rows).toEqual([{ n: 1 }]);
    await expect(wh.deriveVersion(a, 2, 2, [])).rejects.toMatchObject({ code: 'WAREHOUSE_VERSION_INVALID' });
    await expect(wh.deriveVersion(a, 7, 3, [])).rejects.toMatchObject({ code: 'WAREHOUSE_VERSION_INVALID', message: expect.stringContaining('Version 7') });
    // The statements run with no file access: a derived version reads nothing but its own gold.
    const other = path.join(wh.landingDir(b), 'users.csv');
    await expect(wh.deriveVersion(a, 2, 3, [`create table gold.leak as select * from read_csv('${other}')`])).rejects.toThrow(WarehouseError);
    expect(fs.existsSync(path.join(wh.tenantDir(a), 'gold', 'v3.duckdb'))).toBe(false);
    expect(fs.existsSync(path.join(wh.tenantDir(a), 'gold', 'v3.duckdb.tmp'))).toBe(false);
  });

  it('answers the same published statement with each request its own values, in parallel, past a failure, a timeout and more texts than a connection keeps prepared', async () => {
    await wh.execute(a, 'create table gold.t as select i as x, i % 7 as g from range(1, 1001) r(i)');
    await wh.publish(a, 1);
    const sql = 'select g, count(*)::int as n, sum(x)::bigint as total from gold.t where x > ? and g = ? group by g';
    const expected = (after: number, g: number) => {
      const xs = Array.from({ length: 1000 }, (_, i) => i + 1).filter((x) => x > after && x % 7 === g);
      return xs.length ? [{ g, n: xs.length, total: BigInt(xs.reduce((s, x) => s + x, 0)) }] : [];
    };
    const ask = async (after: number, g: number) => {
      const { rows } = await wh.queryPublished(a, sql, [after, g]);
      return rows.map((r) => ({ g: Number(r.g), n: Number(r.n), total: BigInt(String(r.total)) }));
    };
    const cases = Array.from({ length: 40 }, (_, i) => [i * 25, i % 7] as const);
    // Twelve at once, more than the connections kept, so statements are prepared on several and reused on each.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < cases.length; i += 12) {
        const batch = cases.slice(i, i + 12);
        expect(await Promise.all(batch.map(([after, g]) => ask(after, g)))).toEqual(batch.map(([after, g]) => expected(after, g)));
      }
    }
    // A value the statement cannot take fails that request alone; the next ones answer.
    await expect(wh.queryPublished(a, sql, ['not a number', 1])).rejects.toThrow(WarehouseError);
    expect(await ask(990, 3)).toEqual(expected(990, 3));
    // A published read stopped by its time limit says so; the statement answers again afterwards.
    const slow = 'select count(*) as n from gold.t, range(100000000000) r1 where x > ?';
    await expect(wh.queryPublished(a, slow, [0], { timeoutMs: 200 })).rejects.toMatchObject({ code: 'WAREHOUSE_TIMEOUT' });
    expect(await ask(500, 0)).toEqual(expected(500, 0));
    // More distinct texts than a connection keeps prepared: the ones dropped are prepared again when asked.
    const texts = Array.from({ length: 80 }, (_, i) => `select count(*)::int + ${i} as n from gold.t where x <= ?`);
    for (let round = 0; round < 2; round++) {
      for (const [i, text] of texts.entries()) expect((await wh.queryPublished(a, text, [i])).rows).toEqual([{ n: 2 * i }]);
    }
    expect(await ask(0, 6)).toEqual(expected(0, 6));
  });

  it('stops a statement that runs past its timeout', async () => {
    const error = await wh
      .query(a, 'select count(*) from range(100000000000) r1', [], { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as WarehouseError).code).toBe('WAREHOUSE_TIMEOUT');
  });
});

describe('the handle cache', () => {
  it('closes handles left idle', async () => {
    const closed: string[] = [];
    const cache = new HandleCache<string>({ max: 10, idleMs: 1000, close: (h) => void closed.push(h) });
    // The handle was last used between these two instants: bounds that do not depend on how long the lines between take.
    const before = Date.now();
    await cache.use('x', async () => 'handle-x', async () => undefined);
    const after = Date.now();
    await cache.evictIdle(before + 999);
    expect(closed).toEqual([]);
    await cache.evictIdle(after + 1000);
    expect(closed).toEqual(['handle-x']);
    await cache.closeAll();
  });

  it('never closes a handle that is in use', async () => {
    const closed: string[] = [];
    const cache = new HandleCache<string>({ max: 1, idleMs: 1, close: (h) => void closed.push(h) });
    const held = await cache.acquire('x', async () => 'x');
    await cache.use('y', async () => 'y', async () => undefined);
    await cache.evictIdle(Date.now() + 10_000);
    expect(closed).toEqual(['y']);
    await held.release();
    await cache.evictIdle(Date.now() + 10_000);
    expect(closed).toEqual(['y', 'x']);
    await cache.closeAll();
  });
});
