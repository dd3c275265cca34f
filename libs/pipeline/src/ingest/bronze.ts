import { ALL_FILES, type SourceFileSpec } from '@kineo/contract';
import type { WarehouseSession } from '@kineo/warehouse';

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export const AUDIT_COLUMNS = ['_extra', '_batch_id', '_batch_seq', '_source_file', '_source_line', '_ingested_at', '_content_sha256'] as const;
// `_problem` is set only while a file loads: rows with a problem move to bronze._quarantine before the load commits.

/** Creates the bookkeeping tables and one bronze table per contract file; idempotent. */
export async function ensureBronze(session: WarehouseSession): Promise<void> {
  await session.execute(`create table if not exists bronze._loads (
    batch_id varchar, batch_seq integer, source varchar, ingested_at timestamp, as_of timestamp)`);
  await session.execute(`create table if not exists bronze._files (
    batch_id varchar, batch_seq integer, table_name varchar, source_file varchar, content_sha256 varchar,
    rows_read bigint, rows_loaded bigint, rows_quarantined bigint, ingested_at timestamp)`);
  await session.execute(`create table if not exists bronze._quarantine (
    _batch_id varchar, _batch_seq integer, table_name varchar, _source_file varchar, _source_line bigint,
    reason varchar, raw varchar, _ingested_at timestamp, _content_sha256 varchar)`);
  for (const spec of ALL_FILES) {
    await session.execute(bronzeTableDdl(spec));
    // Tables made before _problem existed get it too.
    await session.execute(`alter table bronze.${spec.name} add column if not exists _problem varchar`);
  }
}

export function bronzeTableDdl(spec: SourceFileSpec): string {
  const columns = spec.columns.map((c) => `${ident(c.name)} varchar`);
  return `create table if not exists bronze.${spec.name} (
    ${columns.join(', ')},
    _extra varchar, _batch_id varchar, _batch_seq integer, _source_file varchar, _source_line bigint,
    _ingested_at timestamp, _content_sha256 varchar, _problem varchar)`;
}
