import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbWarehouse, ReadOnlyGuard, namespaceForTenantSeq } from '../src';

const a = { tenantId: 'a', namespace: namespaceForTenantSeq(1) };
const b = { tenantId: 'b', namespace: namespaceForTenantSeq(2) };

// Called with the class as `this` below.
// eslint-disable-next-line @typescript-eslint/unbound-method
const realCreate = DuckDBInstance.create;
// eslint-disable-next-line @typescript-eslint/unbound-method
const realConnect = DuckDBInstance.prototype.connect;

/** Whether DuckDB still accepts connections to `instance` (a closed one refuses: "instance closed"). */
const isOpen = (instance: DuckDBInstance) =>
  realConnect.call(instance).then(
    (c) => (c.closeSync(), true),
    () => false,
  );

/**
 * Holds the opening of the DuckDB files `matches` picks: the real instance is created, and handed
 * to the driver only when the test lets it go, so a close or an eviction lands exactly while a
 * snapshot or a tenant is being opened (the `DuckDBInstance.create` promise still pending).
 */
function holdOpens(matches: (file: string) => boolean) {
  const opened: { file: string; instance: DuckDBInstance }[] = [];
  const held: (() => void)[] = [];
  let arrived: (() => void) | undefined;
  let holding = true;
  const spy = jest.spyOn(DuckDBInstance, 'create').mockImplementation(async (file?: string, options?: Record<string, string>) => {
    const instance = await realCreate.call(DuckDBInstance, file, options);
    if (file && matches(file)) {
      opened.push({ file, instance });
      if (holding) {
        await new Promise<void>((resolve) => {
          held.push(resolve);
          arrived?.();
        });
      }
    }
    return instance;
  });
  return {
    opened,
    /** Resolves once `n` opens are being held. */
    reached: (n = 1) =>
      new Promise<void>((resolve) => {
        const check = () => (held.length >= n ? resolve() : (arrived = check));
        check();
      }),
    /** Lets every held open finish; opens from now on run straight through (still recorded). */
    releaseAll: () => {
      holding = false;
      for (const go of held.splice(0)) go();
    },
    restore: () => spy.mockRestore(),
  };
}

/** Settles what is already queued; never a wait on the clock. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

const snapshotFile = (file: string) => /[\\/]gold[\\/]v\d+\.duckdb$/.test(file);
const workFile = (file: string) => file.endsWith('work.duckdb');

describe('a DuckDB file being opened while its owner closes it', () => {
  let dir: string;
  let wh: DuckDbWarehouse;
  let holds: ReturnType<typeof holdOpens> | undefined;
  const count = 'select count(*) as n from gold.dim_user';

  const reader = (options: { maxOpenSnapshots?: number } = {}) =>
    new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), landingRoot: path.join(dir, 'landing'), threads: 1, ...options });

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-openrace-'));
    const writer = reader();
    for (const [tenant, users] of [[a, 3], [b, 5]] as const) {
      await writer.provision(tenant);
      await writer.execute(tenant, `create table gold.dim_user as select range as user_key from range(${users})`);
      await writer.publish(tenant, 1);
    }
    await writer.close();
    wh = reader();
    // Approved once here, so the checks below never open the guard's own DuckDB in the middle of a test.
    await wh.queryPublished(a, count);
    await wh.close();
  });

  afterEach(async () => {
    holds?.releaseAll();
    holds?.restore();
    holds = undefined;
    await wh.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('close() waits for a snapshot being opened, closes it, and the query that opened it gets a clear error', async () => {
    holds = holdOpens(snapshotFile);
    const query = wh.queryPublished(a, count).then(
      (r) => r,
      (e: unknown) => e,
    );
    await holds.reached();
    let closed = false;
    const closing = wh.close().then(() => (closed = true));
    await settle();
    // The open is still pending: close() has not returned while something it owns may still appear.
    expect(closed).toBe(false);
    holds.releaseAll();
    await closing;
    expect(await query).toMatchObject({ code: 'WAREHOUSE_UNAVAILABLE', message: expect.stringMatching(/warehouse is closing/) });
    expect(wh.openHandles()).toEqual({ work: 0, snapshots: 0, readOnlyGuard: 0 });
    expect(holds.opened).toHaveLength(1);
    expect(await isOpen(holds.opened[0].instance)).toBe(false);
    // Closed is not broken: the next query opens the snapshot afresh.
    expect((await wh.queryPublished(a, count)).rows).toEqual([{ n: 3 }]);
  });

  it('refuses a query that arrives while close() is still closing, opening nothing for it', async () => {
    holds = holdOpens(snapshotFile);
    const first = wh.queryPublished(a, count).catch((e: unknown) => e);
    await holds.reached();
    const closing = wh.close();
    const late = await wh.queryPublished(b, count).catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 'WAREHOUSE_UNAVAILABLE', message: expect.stringMatching(/warehouse is closing/) });
    const lateWork = await wh.query(b, 'select 1 as one').catch((e: unknown) => e);
    expect(lateWork).toMatchObject({ code: 'WAREHOUSE_UNAVAILABLE' });
    holds.releaseAll();
    await closing;
    await first;
    expect(wh.openHandles()).toEqual({ work: 0, snapshots: 0, readOnlyGuard: 0 });
    // Only tenant a's snapshot was ever opened.
    expect(holds.opened.map((o) => path.basename(path.dirname(path.dirname(o.file))))).toEqual([a.namespace]);
  });

  it('closes a snapshot evicted while it was being opened (the tenant dropped) and tells its query why', async () => {
    holds = holdOpens(snapshotFile);
    const query = wh.queryPublished(a, count).catch((e: unknown) => e);
    await holds.reached();
    const dropping = wh.drop(a);
    holds.releaseAll();
    await dropping;
    expect(await query).toMatchObject({ code: 'WAREHOUSE_QUERY_FAILED', message: expect.stringMatching(/closed while this query was opening it/) });
    expect(wh.openHandles().snapshots).toBe(0);
    expect(holds.opened).toHaveLength(1);
    expect(await isOpen(holds.opened[0].instance)).toBe(false);
  });

  it('with one snapshot allowed, never closes one still opening; its query answers from the version it asked for, even after a newer one is published', async () => {
    await wh.close();
    wh = reader({ maxOpenSnapshots: 1 });
    holds = holdOpens((file) => snapshotFile(file) && file.includes(a.namespace) && file.endsWith('v1.duckdb'));
    const old = wh.queryPublished(a, count);
    await holds.reached();
    // Meanwhile the tenant moves to version 2, and another tenant is read: the cache is over its bound.
    const writer = reader();
    await writer.execute(a, 'insert into gold.dim_user select 100 + range from range(4)');
    await writer.publish(a, 2);
    await writer.close();
    expect((await wh.queryPublished(a, count)).rows).toEqual([{ n: 7 }]);
    expect((await wh.queryPublished(b, count)).rows).toEqual([{ n: 5 }]);
    holds.releaseAll();
    expect((await old).rows).toEqual([{ n: 3 }]);
    // The two read meanwhile were closed to keep the bound; version 1, opened last, is the one kept.
    expect(wh.openHandles().snapshots).toBe(1);
    expect(await isOpen(holds.opened[0].instance)).toBe(true);
    // Read next, another snapshot takes its place, and version 1 is closed, not left behind.
    expect((await wh.queryPublished(b, count)).rows).toEqual([{ n: 5 }]);
    expect(wh.openHandles().snapshots).toBe(1);
    expect(await isOpen(holds.opened[0].instance)).toBe(false);
  });

  it("close() waits for a tenant's working file being opened and closes it; the statement is not run", async () => {
    holds = holdOpens(workFile);
    const statement = wh.execute(a, 'create table silver.after_close as select 1 as x').catch((e: unknown) => e);
    await holds.reached();
    const closing = wh.close();
    holds.releaseAll();
    await closing;
    expect(await statement).toMatchObject({ code: 'WAREHOUSE_UNAVAILABLE', message: expect.stringMatching(/warehouse is closing/) });
    expect(wh.openHandles()).toEqual({ work: 0, snapshots: 0, readOnlyGuard: 0 });
    expect(await isOpen(holds.opened[0].instance)).toBe(false);
    const tables = await wh.query(a, "select count(*) as n from information_schema.tables where table_name = 'after_close'");
    expect(tables.rows).toEqual([{ n: 0 }]);
  });

  it('closes a snapshot whose set-up failed after it was created', async () => {
    holds = holdOpens(snapshotFile);
    holds.releaseAll();
    let refused = 0;
    const spy = jest.spyOn(DuckDBInstance.prototype, 'connect').mockImplementation(function (this: DuckDBInstance) {
      if (refused++ === 0) return Promise.reject(new Error('Connection Error: refused once'));
      return realConnect.call(this);
    });
    try {
      await expect(wh.queryPublished(a, count)).rejects.toMatchObject({ code: 'WAREHOUSE_QUERY_FAILED' });
    } finally {
      spy.mockRestore();
    }
    expect(wh.openHandles().snapshots).toBe(0);
    expect(holds.opened).toHaveLength(1);
    expect(await isOpen(holds.opened[0].instance)).toBe(false);
    expect((await wh.queryPublished(a, count)).rows).toEqual([{ n: 3 }]);
  });
});

describe("the read-only guard's DuckDB being opened while the guard closes", () => {
  let holds: ReturnType<typeof holdOpens>;
  beforeEach(() => (holds = holdOpens((file) => file === ':memory:')));
  afterEach(() => {
    holds.releaseAll();
    holds.restore();
  });

  it('answers the check that opened it, then closes it; a check arriving while it closes is refused and opens nothing', async () => {
    const guard = new ReadOnlyGuard();
    const check = guard.assertReadOnlySelect('select count(*) as guard_race_1 from gold.dim_user', ['gold']);
    await holds.reached();
    const closing = guard.close();
    const late = await guard.assertReadOnlySelect('select count(*) as guard_race_2 from gold.dim_user', ['gold']).catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 'WAREHOUSE_UNAVAILABLE', message: expect.stringMatching(/closing/) });
    holds.releaseAll();
    await expect(check).resolves.toBeUndefined();
    await closing;
    expect(guard.isOpen).toBe(false);
    expect(holds.opened).toHaveLength(1);
    expect(await isOpen(holds.opened[0].instance)).toBe(false);
    // Closed, not broken: the next check opens a parser again.
    await expect(guard.assertReadOnlySelect('select count(*) as guard_race_3 from gold.dim_user', ['gold'])).resolves.toBeUndefined();
    await guard.close();
  });

  it('closes its DuckDB when setting it up fails after it was created', async () => {
    holds.releaseAll();
    let refused = 0;
    const spy = jest.spyOn(DuckDBInstance.prototype, 'connect').mockImplementation(function (this: DuckDBInstance) {
      if (refused++ === 0) return Promise.reject(new Error('Connection Error: refused once'));
      return realConnect.call(this);
    });
    const guard = new ReadOnlyGuard();
    try {
      await expect(guard.assertReadOnlySelect('select count(*) as guard_race_4 from gold.dim_user', ['gold'])).rejects.toThrow('refused once');
    } finally {
      spy.mockRestore();
    }
    expect(holds.opened).toHaveLength(1);
    expect(await isOpen(holds.opened[0].instance)).toBe(false);
    // The failed open is not remembered: the next check opens a parser that works.
    await expect(guard.assertReadOnlySelect('select count(*) as guard_race_5 from gold.dim_user', ['gold'])).resolves.toBeUndefined();
    await guard.close();
  });
});
