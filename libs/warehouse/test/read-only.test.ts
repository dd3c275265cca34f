import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDbWarehouse, ReadOnlyGuard, WarehouseError, assertReadOnlyDatabricksSelect as databricksGuard, databricksSqlForParser, namespaceForTenantSeq, type Layer } from '../src';

// One guard for the checks below, closed with the file as a warehouse closes its own.
const guard = new ReadOnlyGuard();
afterAll(() => guard.close());
const assertReadOnlySelect = (sql: string, layers: readonly Layer[]) => guard.assertReadOnlySelect(sql, layers);
const assertReadOnlyDatabricksSelect = (sql: string, layers: readonly Layer[]) => databricksGuard(guard, sql, layers);

const a = { tenantId: 'a', namespace: namespaceForTenantSeq(1) };

type Guard = typeof assertReadOnlySelect;

async function refusedBy(guard: Guard, sql: string, layers: ('gold' | 'silver' | 'bronze')[] = ['gold']): Promise<WarehouseError> {
  const error = await guard(sql, layers).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WarehouseError)) throw new Error(`expected a refusal of: ${sql}`);
  expect(error.code).toBe('WAREHOUSE_READ_ONLY');
  return error;
}

/** Refused as DuckDB SQL and as Databricks SQL (the Databricks reason may come from its own lexing). */
async function refusal(sql: string, layers: ('gold' | 'silver' | 'bronze')[] = ['gold']): Promise<WarehouseError> {
  await refusedBy(assertReadOnlyDatabricksSelect, sql, layers);
  return refusedBy(assertReadOnlySelect, sql, layers);
}

describe('the read-only SQL guard', () => {
  let dir: string;
  let wh: DuckDbWarehouse;
  let landingCsv: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-guard-'));
    wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), landingRoot: path.join(dir, 'landing'), threads: 1 });
    await wh.provision(a);
    await wh.execute(a, "create table gold.dim_user as select range as user_key, 'u' || range as username from range(3)");
    await wh.execute(a, 'create table silver.users as select * from gold.dim_user');
    await wh.publish(a, 1);
    landingCsv = path.join(wh.landingDir(a), 'users.csv');
    fs.writeFileSync(landingCsv, 'id,password\n1,hunter2\n');
  });

  afterAll(async () => {
    await wh.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Each of these read engine internals or files while the guard let them through.
  it.each([
    ['a system view behind an out-of-scope CTE', 'select * from (with duckdb_databases as (select 1) select 1) a, duckdb_databases'],
    ['pg_settings behind an out-of-scope CTE', 'select * from (with pg_settings as (select 1) select 1) a, pg_settings'],
    ['duckdb_tables behind an out-of-scope CTE', 'select * from (with duckdb_tables as (select 1) select 1) a, duckdb_tables'],
    ['sqlite_master behind an out-of-scope CTE', 'select * from (with sqlite_master as (select 1) select 1) a, sqlite_master'],
    ['a CTE that names itself without RECURSIVE', 'with duckdb_tables as (select * from duckdb_tables) select * from duckdb_tables'],
    ['a CTE that names a later one', 'with x as (select * from duckdb_settings), duckdb_settings as (select 1) select * from x'],
    ['a CTE name used in a sibling subquery', 'select (select count(*) from (with duckdb_views as (select 1) select 1)), (select count(*) from duckdb_views)'],
    ['SHOW inside FROM', 'select * from (show all tables)'],
    ['DESCRIBE inside FROM', 'select * from (describe gold.dim_user)'],
  ])('refuses %s on published gold', async (_case, sql) => {
    await refusal(sql);
    await expect(wh.queryPublished(a, sql)).rejects.toMatchObject({ code: 'WAREHOUSE_READ_ONLY' });
  });

  it("refuses the tenant's own landing file by its path on a working layer", async () => {
    const sql = `select * from (with "${landingCsv}" as (select 1) select 1) a, "${landingCsv}"`;
    await refusal(sql, ['silver']);
    await refusal(`select * from '${landingCsv}'`, ['silver']);
    await refusal(`select * from silver."${landingCsv}"`, ['silver']);
  });

  it('refuses SHOW ALL TABLES on a working layer, which would list every layer', async () => {
    await refusal('select * from (show all tables)', ['silver']);
  });

  it.each([
    ['read_text', "select * from read_text('/etc/hostname')"],
    ['read_blob', "select * from read_blob('/etc/hostname')"],
    ['read_csv', "select * from read_csv('/etc/passwd')"],
    ['read_csv_auto', "select * from read_csv_auto('x.csv')"],
    ['read_parquet', "select * from read_parquet('x.parquet')"],
    ['read_json_auto', "select * from read_json_auto('x.json')"],
    ['glob', "select * from glob('/*')"],
    ['parquet_scan', "select * from parquet_scan('x.parquet')"],
    ['duckdb_settings', 'select * from duckdb_settings()'],
    ['pragma_database_list', 'select * from pragma_database_list()'],
    ['query', "select * from query('select 1')"],
  ])('refuses the table function %s', async (fn, sql) => {
    expect((await refusal(sql)).message).toContain(`${fn}() is not allowed`);
  });

  it.each([
    ['getenv', "select getenv('HOME')"],
    ['current_setting', "select current_setting('allowed_directories')"],
    ['a qualified getenv', "select main.getenv('HOME')"],
    ['a catalog-qualified current_setting', "select system.main.current_setting('threads')"],
    ['a duckdb_ function', 'select duckdb_secrets()'],
    ['current_setting in a window', "select max(current_setting('threads')) over () from gold.dim_user"],
    ['getenv in a subquery', "select * from gold.dim_user where username in (select getenv('HOME'))"],
    ['an unknown function', 'select no_such_fn(1)'],
  ])('refuses %s', async (_case, sql) => {
    expect((await refusal(sql)).message).toMatch(/function .+ (is not allowed|may not be qualified)/);
  });

  it.each([
    ['SET', "set allowed_directories = ['/']"],
    ['PRAGMA', 'pragma database_list'],
    ['ATTACH', "attach '/tmp/x.duckdb' as x"],
    ['INSTALL', 'install httpfs'],
    ['LOAD', 'load httpfs'],
    ['COPY', "copy gold.dim_user to '/tmp/x.csv'"],
    ['EXPORT', "export database '/tmp/x'"],
  ])('refuses %s', async (_case, sql) => {
    expect((await refusal(sql)).message).toBe('Refused: only a single SELECT statement is allowed here.');
  });

  it.each([
    ['a URL as a table', "select * from 'https://example.com/x.csv'"],
    ['a URL in a reader', "select * from read_parquet('s3://bucket/x.parquet')"],
    ['a layer-qualified URL', `select * from gold."https://example.com/x.csv"`],
  ])('refuses %s', async (_case, sql) => {
    await refusal(sql);
  });

  it.each([
    ['a plain select', 'select user_key, upper(username) as u from gold.dim_user order by 1'],
    ['a CTE in scope', 'with t as (select * from gold.dim_user) select count(*) as n from t'],
    ['a CTE seen from a nested subquery', 'with t as (select * from gold.dim_user) select * from (select * from t) x where user_key in (select user_key from t)'],
    ['a CTE built on an earlier one', 'with t as (select * from gold.dim_user), u as (select * from t) select * from u'],
    ['a recursive CTE', 'with recursive n(i) as (select 1 union all select i + 1 from n where i < 3) select * from n'],
    ['windows and aggregates', 'select row_number() over (order by user_key) as r, sum(user_key) over () as s, count(*) filter (where user_key > 0) over () as c from gold.dim_user'],
    ['a set operation', 'select user_key from gold.dim_user union all select 1'],
    ['values, casts, lambdas and a generator', "select list_transform([1, 2], x -> x + 1) as l, '3'::int as i, v from (values (1), (2)) t(v), range(2)"],
  ])('allows %s', async (_case, sql) => {
    await expect(assertReadOnlySelect(sql, ['gold'])).resolves.toBeUndefined();
  });

  it.each([
    ['a backquoted name hiding a function', "select `getenv`('HOME')", /getenv\(\) is not allowed/],
    ['a backquoted name hiding a qualified function', "select `system`.`main`.`current_setting`('threads')", /may not be qualified/],
    ['a backquoted path as a table', 'select * from gold.`/etc/passwd`', /is not a table name/],
    ['a backquoted schema', 'select * from `information_schema`.`tables`', /not a table this query may read/],
    ['a Databricks table function', "select * from read_files('/Volumes/c/s/v')", /read_files\(\) is not allowed/],
    ['secret()', "select secret('scope', 'key')", /secret\(\) is not allowed/],
    ['reflect()', "select reflect('java.lang.System', 'getenv', 'HOME')", /reflect\(\) is not allowed/],
    ['current_user without parentheses', 'select current_user', /session function/],
    ['user without parentheses', 'select user as u from gold.dim_user', /session function/],
    ['a string a backslash keeps open, hiding a call from DuckDB', "select 'x\\'', current_setting('threads'), ''", /current_setting\(\) is not allowed/],
    ['a raw string Spark ends at its first quote', "select r'\\', current_setting('threads'), '\\'", /raw and hex/],
    ['a hex literal', "select x'00', 1", /raw and hex/],
    ['double-quoted text', 'select "getenv"(\'HOME\')', /double-quoted/],
    ['a line comment Spark continues after a backslash', "select 1 -- \\\n, '\n, current_setting('threads') -- '", /line comment/],
    ['a line comment Spark ends at a carriage return', "select 1 --x\r, current_setting('threads')", /line comment/],
    ['a nested comment', "select 1 /* /* */ ' */, current_setting('threads') -- '", /nested comments/],
    ['an unterminated comment', 'select 1 /* open', /unterminated comment/],
    ['an unterminated name', 'select 1 as `open', /unterminated `name`/],
    ['an unterminated string', "select 'open\\'", /unterminated string/],
    ['variable substitution', "select '${env:HOME}' as home", /substitution/],
    ['a time-travel read of another version', 'select * from gold.dim_user version as of 1', /could not be parsed/],
    ['a name Spark reads where DuckDB reads a number', 'select 1_000', /not a number/],
    ['two statements', 'select 1; select `x` from gold.dim_user', /single SELECT/],
  ])('refuses, as Databricks SQL, %s', async (_case, sql, reason) => {
    expect((await refusedBy(assertReadOnlyDatabricksSelect, sql)).message).toMatch(reason);
  });

  it.each([
    ['backquoted aliases, a backquote and a quote in them', 'select count(*) as `Learner.count`, max(username) as `a``b\'c` from gold.dim_user group by all order by `Learner.count`'],
    ['a string holding a backquote, comment marks and an escaped quote', "select 'it\\'s `getenv`(1) -- /*' as s from gold.dim_user"],
    ['comments', 'select /* the count */ count(*) as n -- every user\nfrom gold.dim_user'],
    ['typed numbers', 'select 1L as a, 2.5D as b, 10BD as c'],
    ['a qualified column named user', 'select u.user_key as `user` from gold.dim_user u'],
  ])('allows, as Databricks SQL, %s', async (_case, sql) => {
    await expect(assertReadOnlyDatabricksSelect(sql, ['gold'])).resolves.toBeUndefined();
  });

  it('hands DuckDB the statement Databricks reads: names double-quoted, strings re-quoted, comments dropped', () => {
    expect(databricksSqlForParser("select `a``b` as `x\"y`, 'it\\'s' /* c */ from gold.t -- d")).toBe('select "a`b" as "x""y", \'it\'\'s\'   from gold.t  ');
  });

  it('remembers a statement it approved only for the layers it approved it for, and refuses again what it refused', async () => {
    const sql = 'select count(*) as n from silver.users';
    await expect(assertReadOnlySelect(sql, ['silver'])).resolves.toBeUndefined();
    await expect(assertReadOnlySelect(sql, ['silver'])).resolves.toBeUndefined();
    expect((await refusal(sql, ['gold'])).message).toContain('silver.users is not a table this query may read');
    expect((await refusal(sql, ['gold'])).message).toContain('silver.users is not a table this query may read');
    await expect(wh.queryPublished(a, sql)).rejects.toMatchObject({ code: 'WAREHOUSE_READ_ONLY' });
  });

  it("closes its parser's DuckDB with the warehouse, opening another if the warehouse is used again", async () => {
    const other = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), landingRoot: path.join(dir, 'landing'), threads: 1 });
    expect(other.openHandles().readOnlyGuard).toBe(0);
    // A text no guard in this process has approved yet, so this one parses it.
    await other.queryPublished(a, 'select count(*) as opens_the_guard from gold.dim_user');
    expect(other.openHandles().readOnlyGuard).toBe(1);
    await other.close();
    expect(other.openHandles()).toEqual({ work: 0, snapshots: 0, readOnlyGuard: 0 });
    expect((await other.queryPublished(a, 'select count(*) as n from gold.dim_user')).rows).toEqual([{ n: 3 }]);
    await other.close();
    expect(other.openHandles().readOnlyGuard).toBe(0);
  });

  it('lets a process that checked SQL through a warehouse exit by itself once the warehouse is closed', async () => {
    // The built package, as the gateway and the CLI load it; the process ends on its own or never.
    const script = `
      const { DuckDbWarehouse } = require('@kineo/warehouse');
      const wh = new DuckDbWarehouse({ rootDir: ${JSON.stringify(path.join(dir, 'warehouse'))}, threads: 1 });
      wh.queryPublished(${JSON.stringify(a)}, 'select count(*) as n from gold.dim_user')
        .then((r) => wh.close().then(() => process.stdout.write(JSON.stringify(r.rows))));
    `;
    const child = spawn(process.execPath, ['-e', script], { cwd: __dirname, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([{ n: 3 }]);
  });

  it('still answers an allowed query with the tenant data', async () => {
    const result = await wh.queryPublished(a, 'with t as (select * from gold.dim_user) select count(*) as n from t');
    expect(result.rows).toEqual([{ n: 3 }]);
  });
});
