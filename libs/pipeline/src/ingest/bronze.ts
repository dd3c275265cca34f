import { ALL_FILES, type SourceFileSpec } from '@kineo/contract';
import { duckdbDialect, type Dialect, type WarehouseSession } from '@kineo/warehouse';

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export const AUDIT_COLUMNS = ['_extra', '_batch_id', '_batch_seq', '_source_file', '_source_line', '_ingested_at', '_content_sha256'] as const;
// `_problem` is set only while a file loads: rows with a problem move to bronze._quarantine before the load commits.

/**
 * Creates the bookkeeping tables and one bronze table per contract file; idempotent. Types are
 * spelled so both engines take them (`string` is DuckDB's VARCHAR; Databricks has no VARCHAR
 * without a length).
 */
export async function ensureBronze(session: WarehouseSession, dialect: Dialect = duckdbDialect): Promise<void> {
  await session.execute(`create table if not exists bronze._loads (
    batch_id string, batch_seq integer, source string, ingested_at timestamp, as_of timestamp)`);
  await session.execute(`create table if not exists bronze._files (
    batch_id string, batch_seq integer, table_name string, source_file string, content_sha256 string,
    rows_read bigint, rows_loaded bigint, rows_quarantined bigint, ingested_at timestamp)`);
  await session.execute(`create table if not exists bronze._quarantine (
    _batch_id string, _batch_seq integer, table_name string, _source_file string, _source_line bigint,
    reason string, raw string, _ingested_at timestamp, _content_sha256 string)`);
  for (const spec of ALL_FILES) {
    await session.execute(bronzeTableDdl(spec, dialect));
    // DuckDB tables made before _problem existed get it too (Databricks bronze is newer than _problem).
    if (dialect.engine === 'duckdb') await session.execute(`alter table bronze.${spec.name} add column if not exists _problem varchar`);
  }
}

export function bronzeTableDdl(spec: SourceFileSpec, dialect: Dialect = duckdbDialect): string {
  const columns = spec.columns.map((c) => `${dialect.ident(c.name)} string`);
  return `create table if not exists bronze.${spec.name} (
    ${columns.join(', ')},
    _extra string, _batch_id string, _batch_seq integer, _source_file string, _source_line bigint,
    _ingested_at timestamp, _content_sha256 string, _problem string)`;
}

/**
 * A load is all or nothing by bookkeeping, not by one transaction (on Databricks every insert is
 * its own Delta commit; on DuckDB one transaction around gigabytes of inserts more than doubles
 * the load's time): a load's rows carry its `_batch_seq`, and its `bronze._loads` row is written
 * last, as the commit. Rows with a `_batch_seq` at or above `fromSeq` (the next sequence number)
 * belong to a load that never finished: this removes them, from every bronze table and from
 * _files and _quarantine. It runs before a load (a previous worker may have died mid-load) and
 * when a load fails; until then silver reads only loads that have their `bronze._loads` row.
 */
export async function removeUnfinishedLoad(session: WarehouseSession, fromSeq: number): Promise<void> {
  const tables = [...ALL_FILES.map((s) => ({ table: `bronze.${s.name}`, column: '_batch_seq' })),
    { table: 'bronze._quarantine', column: '_batch_seq' }, { table: 'bronze._files', column: 'batch_seq' }];
  const probe = await session.query<{ t: number; n: number }>(
    tables.map((t, i) => `select ${i} as t, count(*) as n from ${t.table} where ${t.column} >= ?`).join(' union all '),
    tables.map(() => fromSeq),
  );
  for (const row of probe.rows) {
    if (Number(row.n) === 0) continue;
    const { table, column } = tables[Number(row.t)];
    await session.execute(`delete from ${table} where ${column} >= ?`, [fromSeq]);
  }
}
