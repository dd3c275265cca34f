import fs from 'node:fs';
import path from 'node:path';
import type { TenantNamespace, Warehouse } from '../src';
import { WarehouseError } from '../src';

export interface ContractSubject {
  warehouse: Warehouse;
  /** The local landing folder files are staged from, one folder per namespace. */
  landingRoot: string;
  /** Called once after the suite; stops servers, removes directories. */
  cleanup(): Promise<void>;
}

export const tenantA: TenantNamespace = { tenantId: '00000000-0000-4000-8000-00000000000a', namespace: 't_00000a' };
export const tenantB: TenantNamespace = { tenantId: '00000000-0000-4000-8000-00000000000b', namespace: 't_00000b' };
/** Provisioned and dropped by the case on prepared and derived versions. */
export const tenantC: TenantNamespace = { tenantId: '00000000-0000-4000-8000-00000000000c', namespace: 't_00000c' };

/** The WarehouseError `promise` rejects with, once it is one and has `code`. */
export async function expectWarehouseError(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WarehouseError);
  expect((error as WarehouseError).code).toBe(code);
  return error as WarehouseError;
}

/**
 * The behaviour every Warehouse driver must have. Run against DuckDB directly and against the
 * Databricks driver through the local Databricks-protocol server.
 */
export function warehouseContract(name: string, create: () => Promise<ContractSubject>) {
  describe(`${name} warehouse contract`, () => {
    let subject: ContractSubject;
    let wh: Warehouse;

    beforeAll(async () => {
      subject = await create();
      wh = subject.warehouse;
    });

    afterAll(async () => {
      await wh?.close();
      await subject?.cleanup();
    });

    it('answers a ping before any tenant exists', async () => {
      await expect(wh.ping()).resolves.toBeUndefined();
    });

    it('provisions a namespace with bronze, silver and gold, and provisioning again changes nothing', async () => {
      expect(await wh.isProvisioned(tenantA)).toBe(false);
      const first = await wh.provision(tenantA);
      expect(first.namespace).toBe('t_00000a');
      expect(first.created.length).toBeGreaterThan(0);
      expect(await wh.isProvisioned(tenantA)).toBe(true);
      const again = await wh.provision(tenantA);
      expect(again.created).toEqual([]);
      await wh.provision(tenantB);
    });

    it('runs statements and reads typed rows back with positional parameters', async () => {
      await wh.execute(
        tenantA,
        `create or replace table bronze.people as
         select * from (values
           (1, 'Ada', cast(36.5 as decimal(10,2)), cast('2024-07-01' as date), cast('2024-07-01 10:11:12' as timestamp), true),
           (2, 'Grace', null, null, null, false),
           (3, 'Linus', cast(2.25 as decimal(10,2)), cast('2025-01-31' as date), null, true)
         ) as t(id, name, score, joined, seen_at, active)`,
      );
      const result = await wh.query(tenantA, 'select id, name, score, joined, seen_at, active from bronze.people where id >= ? and name <> ? order by id', [1, 'Linus']);
      expect(result.columns.map((c) => c.name)).toEqual(['id', 'name', 'score', 'joined', 'seen_at', 'active']);
      expect(result.rows).toEqual([
        { id: 1, name: 'Ada', score: 36.5, joined: '2024-07-01', seen_at: '2024-07-01T10:11:12.000Z', active: true },
        { id: 2, name: 'Grace', score: null, joined: null, seen_at: null, active: false },
      ]);
      const big = await wh.query(tenantA, 'select cast(? as bigint) as n, ? as s', ['9007199254740993', "it's"]);
      expect(big.rows[0]).toEqual({ n: 9007199254740993n, s: "it's" });
    });

    it('streams a large result in chunks without reading it all at once', async () => {
      await wh.execute(tenantA, 'create or replace table silver.numbers as select cast(range as bigint) as n from range(0, 25000)');
      const sizes: number[] = [];
      let sum = 0;
      for await (const chunk of wh.stream(tenantA, 'select n from silver.numbers order by n', [], { chunkSize: 4000 })) {
        sizes.push(chunk.length);
        for (const row of chunk) sum += Number(row.n);
      }
      expect(sizes.every((s) => s <= 4000)).toBe(true);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(25000);
      expect(sizes.length).toBeGreaterThanOrEqual(7);
      expect(sum).toBe((24999 * 25000) / 2);
    });

    it('counts the rows of every table in a layer', async () => {
      const counts = await wh.tableCounts(tenantA, 'bronze');
      expect(counts).toEqual([{ layer: 'bronze', table: 'people', rows: 3 }]);
      expect(await wh.tableCounts(tenantA, 'gold')).toEqual([]);
    });

    it('serves nothing before the first publish', async () => {
      expect(await wh.publishedVersion(tenantA)).toBeNull();
      await expectWarehouseError(wh.queryPublished(tenantA, 'select 1 as x'), 'WAREHOUSE_NOT_PUBLISHED');
    });

    it('serves the published gold version, unchanged by later work until the next publish', async () => {
      await wh.execute(tenantA, 'create or replace table gold.scores as select id, name from bronze.people where active');
      await wh.publish(tenantA, 1);
      expect(await wh.publishedVersion(tenantA)).toBe(1);
      const v1 = await wh.queryPublished(tenantA, 'select name from gold.scores order by id');
      expect(v1.rows).toEqual([{ name: 'Ada' }, { name: 'Linus' }]);

      await wh.execute(tenantA, 'create or replace table gold.scores as select id, name from bronze.people');
      const still = await wh.queryPublished(tenantA, 'select count(*) as n from gold.scores');
      expect(still.rows).toEqual([{ n: 2 }]);

      await wh.publish(tenantA, 2);
      const v2 = await wh.queryPublished(tenantA, 'select count(*) as n from gold.scores');
      expect(v2.rows).toEqual([{ n: 3 }]);
      const old = await wh.queryPublished(tenantA, 'select count(*) as n from gold.scores', [], { version: 1 });
      expect(old.rows).toEqual([{ n: 2 }]);
    });

    it('refuses to publish a version that is not newer', async () => {
      await expectWarehouseError(wh.publish(tenantA, 2), 'WAREHOUSE_VERSION_INVALID');
      await expectWarehouseError(wh.publish(tenantA, 0), 'WAREHOUSE_VERSION_INVALID');
    });

    it('streams a published version in chunks', async () => {
      let rows = 0;
      for await (const chunk of wh.streamPublished(tenantA, 'select * from gold.scores', [], { chunkSize: 2 })) {
        expect(chunk.length).toBeLessThanOrEqual(2);
        rows += chunk.length;
      }
      expect(rows).toBe(3);
    });

    it('keeps the newest published versions readable when pruning, and reports only versions it made unreadable', async () => {
      await expectWarehouseError(wh.pruneSnapshots(tenantA, 0), 'WAREHOUSE_VERSION_INVALID');
      expect(await wh.pruneSnapshots(tenantB, 2)).toEqual([]);
      for (const version of [3, 4, 5]) await wh.publish(tenantA, version);
      const pruned = await wh.pruneSnapshots(tenantA, 2);
      // Whatever an engine frees, it is older than the versions kept, and reported oldest first.
      expect(pruned).toEqual([...pruned].sort((a, b) => a - b));
      expect(pruned.every((v) => v <= 3)).toBe(true);
      for (const version of [4, 5]) {
        expect((await wh.queryPublished(tenantA, 'select count(*) as n from gold.scores', [], { version })).rows).toEqual([{ n: 3 }]);
      }
      for (const version of pruned) {
        await expect(wh.queryPublished(tenantA, 'select count(*) as n from gold.scores', [], { version })).rejects.toThrow(WarehouseError);
      }
      for (const version of [1, 2, 3].filter((v) => !pruned.includes(v))) {
        expect((await wh.queryPublished(tenantA, 'select count(*) as n from gold.scores', [], { version })).rows).toHaveLength(1);
      }
      expect(await wh.publishedVersion(tenantA)).toBe(5);
      expect((await wh.queryPublished(tenantA, 'select count(*) as n from gold.scores')).rows).toEqual([{ n: 3 }]);
    });

    it('hands bulk writers a storage their rows survive in, on this engine only the tenant can reach', async () => {
      // What the pipeline does with each kind of storage, in miniature: a batch of rows written, read back, removed.
      const written = await wh.session(tenantA, (session) =>
        wh.bulkStorage(tenantA, {
          localFiles: async (files) => {
            const folder = files.folder('bronze', 'bulk_rows');
            const file = path.join(folder, '00000001.parquet');
            await session.execute(`copy (select 1 as id, 'Ada' as name) to ${wh.dialect.literal(file)} (format parquet)`);
            expect(files.list('bronze', 'bulk_rows')).toEqual(['00000001.parquet']);
            const rows = await session.query(`select id, name from read_parquet(${wh.dialect.literal(path.join(folder, '*.parquet'))})`);
            files.remove('bronze', 'bulk_rows', '00000001.parquet');
            files.remove('bronze', 'bulk_rows', 'never-written.parquet');
            expect(files.list('bronze', 'bulk_rows')).toEqual([]);
            expect(() => files.remove('bronze', 'bulk_rows', '../people')).toThrow(WarehouseError);
            expect(() => files.folder('bronze', '../../t_00000b')).toThrow(WarehouseError);
            return rows.rows;
          },
          engineTables: async () => {
            await session.execute('create table if not exists bronze.bulk_rows (id integer, name string, _batch_seq integer)');
            await session.execute("insert into bronze.bulk_rows values (1, 'Ada', 1)");
            const rows = await session.query('select id, name from bronze.bulk_rows');
            await session.execute('delete from bronze.bulk_rows where _batch_seq >= ?', [1]);
            expect((await session.query('select count(*) as n from bronze.bulk_rows')).rows).toEqual([{ n: 0 }]);
            await session.execute('drop table bronze.bulk_rows');
            return rows.rows;
          },
        }),
      );
      expect(written).toEqual([{ id: 1, name: 'Ada' }]);
    });

    it.each([
      ['an insert', "insert into gold.scores values (9, 'Eve')"],
      ['a drop', 'drop table gold.scores'],
      ['two statements', 'select 1; select 2'],
      ['an attach', "attach '/tmp/other.duckdb' as other"],
      ['a file read', "select * from read_csv('/etc/passwd')"],
    ])('refuses %s on published data', async (_case, sql) => {
      const error = await expectWarehouseError(wh.queryPublished(tenantA, sql), 'WAREHOUSE_READ_ONLY');
      expect(error.message).not.toContain('/tmp');
    });

    it("keeps each tenant's rows to itself", async () => {
      await wh.execute(tenantB, "create or replace table bronze.people as select 100 as id, 'Bob' as name");
      const a = await wh.query(tenantA, 'select name from bronze.people order by id');
      const b = await wh.query(tenantB, 'select name from bronze.people order by id');
      expect(a.rows.map((r) => r.name)).toEqual(['Ada', 'Grace', 'Linus']);
      expect(b.rows).toEqual([{ name: 'Bob' }]);
      // Naming the other tenant's namespace outright does not reach it.
      await expect(wh.query(tenantA, `select * from ${tenantB.namespace}.bronze.people`)).rejects.toThrow(WarehouseError);
      await expect(wh.query(tenantA, `select * from kineo_${tenantB.namespace}.bronze.people`)).rejects.toThrow(WarehouseError);
      await expect(wh.queryPublished(tenantA, `select * from ${tenantB.namespace}.bronze.people`)).rejects.toThrow(WarehouseError);
      await expectWarehouseError(wh.queryPublished(tenantB, 'select 1 as x'), 'WAREHOUSE_NOT_PUBLISHED');
    });

    it("stages a file from the tenant's landing folder where its own SQL reads it, and refuses a file from anywhere else", async () => {
      const write = (namespace: string, name: string) => {
        const file = path.join(subject.landingRoot, namespace, 'run-1', name);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, 'id,name\n1,Ada\n2,Grace\n');
        return file;
      };
      const location = await wh.stageFile(tenantA, write(tenantA.namespace, 'people.csv'), 'run-1/people.csv');
      const read = await wh.query(tenantA, `select id, name from ${wh.dialect.readCsv([location])} order by id`);
      expect(read.rows).toEqual([
        { id: '1', name: 'Ada' },
        { id: '2', name: 'Grace' },
      ]);
      await wh.removeStaged(tenantA, location);
      const theirs = write(tenantB.namespace, 'people.csv');
      const error = await expectWarehouseError(wh.stageFile(tenantA, theirs, 'run-1/theirs.csv'), 'WAREHOUSE_QUERY_FAILED');
      expect(error.message).toMatch(/outside the tenant's landing area/);
      await expectWarehouseError(wh.stageFile(tenantA, write(tenantA.namespace, 'x.csv'), '../x.csv'), 'WAREHOUSE_IDENTIFIER_INVALID');
    });

    it.each([
      ['SQL in the namespace', 't_00000a; drop table bronze.people'],
      ['a path', '../t_00000b'],
      ['upper case', 'T_00000A'],
      ['another scheme', 'public'],
      ['empty', ''],
    ])('rejects a forged namespace (%s) before running any SQL', async (_case, namespace) => {
      const forged = { tenantId: tenantA.tenantId, namespace };
      await expectWarehouseError(wh.query(forged, 'select 1'), 'WAREHOUSE_IDENTIFIER_INVALID');
      await expectWarehouseError(wh.provision(forged), 'WAREHOUSE_IDENTIFIER_INVALID');
      await expectWarehouseError(wh.queryPublished(forged, 'select 1'), 'WAREHOUSE_IDENTIFIER_INVALID');
      expect((await wh.query(tenantA, 'select count(*) as n from bronze.people')).rows).toEqual([{ n: 3 }]);
    });

    it('reports a failing statement as a WarehouseError with a safe message', async () => {
      const error = await expectWarehouseError(wh.query(tenantA, 'select * from bronze.nope'), 'WAREHOUSE_QUERY_FAILED');
      expect(error.message).toMatch(/nope/);
      expect(error.message).not.toMatch(/\/tmp|\.duckdb/);
    });

    it('prepares and derives versions readable by number and not the latest until published; a derived version is built on its source version, never on the working gold', async () => {
      const c = tenantC;
      await wh.provision(c);
      const rows = async (sql: string, version?: number) => (await wh.queryPublished(c, sql, [], { version })).rows;
      await wh.execute(c, 'create or replace table gold.t as select * from (values (1), (2)) as v(x)');
      await wh.execute(c, "create or replace table gold.other as select 'a' as s");
      await wh.publish(c, 1);
      // The working gold moves on without a publish, as a build that failed its checks or stopped half way leaves it.
      await wh.execute(c, 'create or replace table gold.t as select * from (values (1), (2), (99)) as v(x)');
      await wh.execute(c, 'create or replace table gold.summary as select -1 as n, -1 as total');

      await wh.deriveVersion(c, 1, 2, [
        'create or replace table gold.summary as select count(*) as n, sum(x) as total from gold.t',
        // A later statement reads what an earlier one wrote.
        'create or replace table gold.summary_twice as select n * 2 as n2 from gold.summary',
      ]);
      expect(await rows('select n, total from gold.summary', 2)).toEqual([{ n: 2, total: 3 }]);
      expect(await rows('select n2 from gold.summary_twice', 2)).toEqual([{ n2: 4 }]);
      expect(await rows('select x from gold.t order by x', 2)).toEqual([{ x: 1 }, { x: 2 }]);
      expect(await rows('select s from gold.other', 2)).toEqual([{ s: 'a' }]);
      // Version 1 and the working gold are as they were.
      expect(await wh.publishedVersion(c)).toBe(1);
      expect(await rows('select count(*) as n from gold.t')).toEqual([{ n: 2 }]);
      await expect(wh.queryPublished(c, 'select * from gold.summary', [], { version: 1 })).rejects.toThrow(/summary/);
      expect((await wh.query(c, 'select n, total from gold.summary')).rows).toEqual([{ n: -1, total: -1 }]);
      expect((await wh.query(c, 'select count(*) as n from gold.t')).rows).toEqual([{ n: 3 }]);

      // Deriving a version not yet published again (a retry whose record never committed) replaces it.
      await wh.deriveVersion(c, 1, 2, ['create or replace table gold.summary as select max(x) as n, 0 as total from gold.t']);
      expect(await rows('select n, total from gold.summary', 2)).toEqual([{ n: 2, total: 0 }]);
      await expect(wh.queryPublished(c, 'select * from gold.summary_twice', [], { version: 2 })).rejects.toThrow(/summary_twice/);
      await wh.publish(c, 2);
      expect(await wh.publishedVersion(c)).toBe(2);
      expect(await rows('select n from gold.summary')).toEqual([{ n: 2 }]);
      await expectWarehouseError(wh.deriveVersion(c, 2, 2, []), 'WAREHOUSE_VERSION_INVALID');
      expect((await expectWarehouseError(wh.deriveVersion(c, 7, 3, []), 'WAREHOUSE_VERSION_INVALID')).message).toContain('Version 7');

      // A prepared version is the working gold as it is, by number only until published; preparing again replaces it.
      await wh.prepareVersion(c, 3);
      await wh.execute(c, 'create or replace table gold.t as select * from (values (1), (2), (99), (100)) as v(x)');
      await wh.prepareVersion(c, 3);
      expect(await rows('select count(*) as n from gold.t', 3)).toEqual([{ n: 4 }]);
      expect(await wh.publishedVersion(c)).toBe(2);
      expect(await rows('select count(*) as n from gold.t')).toEqual([{ n: 2 }]);
      await wh.publish(c, 3);
      expect(await rows('select count(*) as n from gold.t')).toEqual([{ n: 4 }]);
      expect(await rows('select n from gold.summary', 2)).toEqual([{ n: 2 }]);
      await wh.drop(c);
    });

    it('drops a namespace and everything in it', async () => {
      await wh.drop(tenantB);
      expect(await wh.isProvisioned(tenantB)).toBe(false);
      await expectWarehouseError(wh.query(tenantB, 'select 1'), 'WAREHOUSE_NOT_PROVISIONED');
      expect((await wh.query(tenantA, 'select count(*) as n from bronze.people')).rows).toEqual([{ n: 3 }]);
    });
  });
}
