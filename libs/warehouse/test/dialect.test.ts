import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { databricksDialect as dbx, duckdbDialect as duck } from '../src';

describe('the SQL dialect layer', () => {
  let connection: DuckDBConnection;
  const one = async (sql: string) => (await connection.runAndReadAll(`select ${sql} as v`)).getRowObjectsJS()[0].v;

  beforeAll(async () => {
    connection = await (await DuckDBInstance.create(':memory:')).connect();
  });

  it('adds days, months and years', async () => {
    expect(duck.dateAdd('day', '30', "date '2024-01-15'")).toBe("(date '2024-01-15' + to_days(cast(30 as integer)))");
    expect(dbx.dateAdd('day', '30', "date '2024-01-15'")).toBe("date_add(date '2024-01-15', cast(30 as int))");
    expect(dbx.dateAdd('month', '6', 'd')).toBe('timestampadd(MONTH, cast(6 as int), d)');
    expect(((await one(`cast(${duck.dateAdd('month', '6', "date '2024-08-31'")} as date)`)) as Date).toISOString()).toBe('2025-02-28T00:00:00.000Z');
  });

  it('counts whole days and months between dates', async () => {
    expect(duck.dateDiff('day', 's', 'e')).toBe("date_diff('day', cast(s as date), cast(e as date))");
    expect(dbx.dateDiff('day', 's', 'e')).toBe('datediff(cast(e as date), cast(s as date))');
    expect(dbx.dateDiff('month', 's', 'e')).toBe('timestampdiff(MONTH, cast(s as date), cast(e as date))');
    expect(await one(duck.dateDiff('day', "timestamp '2024-02-27 23:00:00'", "timestamp '2024-03-01 01:00:00'"))).toBe(3n);
  });

  it('makes yyyymmdd date keys', async () => {
    expect(duck.dateKey('d')).toBe("cast(strftime(d, '%Y%m%d') as integer)");
    expect(dbx.dateKey('d')).toBe("cast(date_format(d, 'yyyyMMdd') as int)");
    expect(await one(duck.dateKey("date '2024-07-01'"))).toBe(20240701);
  });

  it('converts Unix seconds both ways', async () => {
    expect(dbx.fromUnixSeconds('t')).toBe('timestamp_seconds(cast(t as bigint))');
    expect(dbx.toUnixSeconds('t')).toBe('unix_timestamp(t)');
    expect(((await one(duck.fromUnixSeconds("'1719792000'"))) as Date).toISOString()).toBe('2024-07-01T00:00:00.000Z');
    expect(await one(duck.toUnixSeconds("timestamp '2024-07-01 00:00:00'"))).toBe(1719792000);
  });

  it('parses ISO-8601 text, or gives NULL', async () => {
    expect(dbx.tryParseIsoTimestamp('x')).toBe('try_cast(x as timestamp)');
    expect(((await one(duck.tryParseIsoTimestamp("'2024-07-01T10:00:00'"))) as Date).toISOString()).toBe('2024-07-01T10:00:00.000Z');
    expect(await one(duck.tryParseIsoTimestamp("'not a date'"))).toBeNull();
  });

  it('concatenates with NULL as empty text on both engines', async () => {
    expect(duck.concatNullSafe("'a'", 'null', "'b'")).toBe("concat('a', null, 'b')");
    expect(dbx.concatNullSafe("'a'", 'null', "'b'")).toBe("concat_ws('', 'a', null, 'b')");
    expect(await one(duck.concatNullSafe("'a'", 'null', "'b'"))).toBe('ab');
  });

  it('reads CSV with every column as text', () => {
    expect(duck.readCsv(['/l/users.csv'])).toBe(
      "read_csv(['/l/users.csv'], all_varchar = true, header = true, delim = ',', filename = true)",
    );
    expect(dbx.readCsv(['/Volumes/c/s/v/users.csv'])).toBe(
      "read_files('/Volumes/c/s/v/users.csv', format => 'csv', header => true, sep => ',', inferSchema => false, mode => 'PERMISSIVE')",
    );
  });

  it('writes recursive CTEs, with the recursion limit Databricks needs', async () => {
    const body = 'select 1 as n union all select n + 1 from r where n < 5';
    expect(dbx.recursiveCte('r', ['n'], body, 100)).toBe(`with recursive r(n) max recursion level 100 as (${body})`);
    const sql = `${duck.recursiveCte('r', ['n'], body, 100)} select sum(n) as v from r`;
    expect((await connection.runAndReadAll(sql)).getRowObjectsJS()[0].v).toBe(15n);
  });

  it('quotes identifiers for each engine (Databricks reads "x" as a string)', () => {
    expect(duck.ident('say "hi"')).toBe('"say ""hi"""');
    expect(dbx.ident('odd`name')).toBe('`odd``name`');
  });

  it('quotes literals for each engine', () => {
    expect(duck.literal("it's a \\ path")).toBe("'it''s a \\ path'");
    expect(dbx.literal("it's a \\ path")).toBe("'it\\'s a \\\\ path'");
  });
});
