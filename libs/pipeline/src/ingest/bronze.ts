import path from 'node:path';
import { ALL_FILES, type SourceFileSpec } from '@kineo/contract';
import { duckdbDialect, type Dialect, type LocalTableFiles, type WarehouseSession } from '@kineo/warehouse';
import type { LayerStorage } from '../storage/layer-storage';

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export const AUDIT_COLUMNS = ['_extra', '_batch_id', '_batch_seq', '_source_file', '_source_line', '_ingested_at', '_content_sha256'] as const;
// `_problem` is set only while a file loads: rows with a problem move to bronze._quarantine before the load commits.

/**
 * Creates the bookkeeping tables and one bronze table per contract file, as `storage` keeps them;
 * idempotent. Types are spelled so both engines take them (`string` is DuckDB's VARCHAR;
 * Databricks has no VARCHAR without a length).
 */
export async function ensureBronze(session: WarehouseSession, dialect: Dialect, storage: LayerStorage): Promise<void> {
  await session.execute(`create table if not exists bronze._loads (
    batch_id string, batch_seq integer, source string, ingested_at timestamp, as_of timestamp)`);
  await session.execute(`create table if not exists bronze._files (
    batch_id string, batch_seq integer, table_name string, source_file string, content_sha256 string,
    rows_read bigint, rows_loaded bigint, rows_quarantined bigint, ingested_at timestamp)`);
  await session.execute(`create table if not exists bronze._quarantine (
    _batch_id string, _batch_seq integer, table_name string, _source_file string, _source_line bigint,
    reason string, raw string, _ingested_at timestamp, _content_sha256 string)`);
  await storage.ensureBronzeTables(session, dialect);
}

export function bronzeTableDdl(spec: SourceFileSpec, dialect: Dialect = duckdbDialect): string {
  const columns = spec.columns.map((c) => `${dialect.ident(c.name)} string`);
  return `create table if not exists bronze.${spec.name} (
    ${columns.join(', ')},
    _extra string, _batch_id string, _batch_seq integer, _source_file string, _source_line bigint,
    _ingested_at timestamp, _content_sha256 string, _problem string)`;
}

/** A bronze row's columns in the order the Parquet files hold them, with each one's SQL type. */
export function bronzeColumns(spec: SourceFileSpec): { name: string; type: string }[] {
  return [
    ...spec.columns.map((c) => ({ name: c.name, type: 'varchar' })),
    ...[['_extra', 'varchar'], ['_batch_id', 'varchar'], ['_batch_seq', 'integer'], ['_source_file', 'varchar'], ['_source_line', 'bigint'],
      ['_ingested_at', 'timestamp'], ['_content_sha256', 'varchar'], ['_problem', 'varchar']].map(([name, type]) => ({ name, type })),
  ];
}

/**
 * Bronze as Parquet files (DuckDB): `<tenant>/bronze/<table>/<batch_seq>.parquet`, written once by
 * the load with that sequence number and never changed, and `bronze.<table>`, a view over the
 * table's files that leaves out rows with a `_problem` (those are in bronze._quarantine). Writing
 * Parquet costs about half of inserting the same text rows into a DuckDB table and checkpointing
 * it (measured in docs/benchmarks.md), and an unfinished load is undone by deleting its files. A
 * schema-only file `00000000.parquet` keeps the view valid before the first load.
 */
export function parquetBronze(files: LocalTableFiles) {
  const folder = (spec: SourceFileSpec) => files.folder('bronze', spec.name);
  const fileName = (batchSeq: number) => `${String(batchSeq).padStart(8, '0')}.parquet`;
  const fileFor = (spec: SourceFileSpec, batchSeq: number) => path.join(folder(spec), fileName(batchSeq));
  return {
    fileFor,
    async ensureView(session: WarehouseSession, dialect: Dialect, spec: SourceFileSpec): Promise<void> {
      const literal = (value: string) => dialect.literal(value);
      const columns = bronzeColumns(spec);
      const empty = fileFor(spec, 0);
      const existing = await session.query<{ table_type: string }>(
        "select table_type from information_schema.tables where table_catalog = current_database() and table_schema = 'bronze' and table_name = ?",
        [spec.name],
      );
      if (existing.rows[0]?.table_type === 'BASE TABLE') {
        // A tenant loaded before bronze moved to Parquet: its rows become the first file.
        await session.execute(`alter table bronze.${spec.name} add column if not exists _problem varchar`);
        await session.execute(`copy (select ${columns.map((c) => `cast(${ident(c.name)} as ${c.type}) as ${ident(c.name)}`).join(', ')} from bronze.${spec.name}
          where _batch_seq <= (select coalesce(max(batch_seq), 0) from bronze._loads))
          to ${literal(empty)} (format parquet)`);
        await session.execute(`drop table bronze.${spec.name}`);
      } else if (!files.list('bronze', spec.name).includes(fileName(0))) {
        await session.execute(`copy (select ${columns.map((c) => `cast(null as ${c.type}) as ${ident(c.name)}`).join(', ')} where false)
          to ${literal(empty)} (format parquet)`);
      }
      await session.execute(`create or replace view bronze.${spec.name} as
        select * exclude (_problem) from read_parquet(${literal(path.join(folder(spec), '*.parquet'))}, union_by_name = true)
        where _problem is null`);
    },
    /** Deletes the files of loads numbered `fromSeq` or later, and anything else a crash left. */
    removeFrom(fromSeq: number): void {
      for (const spec of ALL_FILES) {
        for (const name of files.list('bronze', spec.name)) {
          const seq = /^(\d{8})\.parquet$/.exec(name);
          if (!seq || Number(seq[1]) >= fromSeq) files.remove('bronze', spec.name, name);
        }
      }
    },
  };
}

/**
 * A load is all or nothing by bookkeeping, not by one transaction (on Databricks every insert is
 * its own Delta commit; on DuckDB one transaction around gigabytes of inserts more than doubles
 * the load's time): a load's rows carry its `_batch_seq`, and its `bronze._loads` row is written
 * last, as the commit. Rows with a `_batch_seq` at or above `fromSeq` (the next sequence number)
 * belong to a load that never finished: this removes them, from every bronze table (on DuckDB,
 * by deleting the load's Parquet files) and from _files and _quarantine. It runs before a load (a previous worker may have died mid-load) and
 * when a load fails; until then silver reads only loads that have their `bronze._loads` row.
 */
export async function removeUnfinishedLoad(session: WarehouseSession, fromSeq: number, storage: LayerStorage): Promise<void> {
  const bronzeTables = storage.clearBronzeFrom(fromSeq).map((table) => ({ table, column: '_batch_seq' }));
  const tables = [...bronzeTables, { table: 'bronze._quarantine', column: '_batch_seq' }, { table: 'bronze._files', column: 'batch_seq' }];
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
