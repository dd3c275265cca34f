import type { SqlParam, TenantNamespace, Warehouse } from '@kineo/warehouse';
import { stringify } from 'csv-stringify/sync';
import { spreadsheetSafe } from '../../engine/http/spreadsheet-safe.util';

export interface QuarantineRow {
  file: string;
  line: number;
  reason: string;
  raw: string;
}

export interface QuarantineQuery {
  /** The load's id (its bronze batch id). */
  loadId: string;
  file?: string | null;
  /** Keyset: rows after this (file, line). */
  after?: { file: string; line: number };
  limit?: number;
}

// A load before every rejection had its reason (a line over DuckDB's size limit) stored none: said, not an internal error.
const COLUMNS = "select _source_file as file, _source_line as line, coalesce(reason, 'the row could not be read as CSV') as reason, raw from bronze._quarantine";

function where(query: QuarantineQuery): { sql: string; params: SqlParam[] } {
  const clauses = ['_batch_id = ?'];
  const params: SqlParam[] = [query.loadId];
  if (query.file) {
    clauses.push('_source_file = ?');
    params.push(query.file);
  }
  if (query.after) {
    clauses.push('(_source_file > ? or (_source_file = ? and _source_line > ?))');
    params.push(query.after.file, query.after.file, query.after.line);
  }
  return { sql: ` where ${clauses.join(' and ')} order by _source_file, _source_line`, params };
}

/**
 * The rows a load set aside, by file and line. Reads the tenant's working area, then lets go of it
 * at once: the worker is its only writer and must not wait for a reader's idle handle.
 */
export async function readQuarantine(warehouse: Warehouse, tenant: TenantNamespace, query: QuarantineQuery): Promise<QuarantineRow[]> {
  const { sql, params } = where(query);
  try {
    const result = await warehouse.query<{ file: string; line: number | bigint; reason: string; raw: string }>(
      tenant,
      `${COLUMNS}${sql}${query.limit ? ` limit ${Math.trunc(query.limit)}` : ''}`,
      params,
    );
    return result.rows.map((r) => ({ file: r.file, line: Number(r.line), reason: r.reason, raw: r.raw }));
  } finally {
    await warehouse.release(tenant);
  }
}

/** The report's first line, after the byte-order mark Excel needs to read it as UTF-8. */
export const QUARANTINE_CSV_HEADER = '\uFEFFfile,line,reason,raw\r\n';

/**
 * The same rows as CSV text (a header, then one record per row), a batch at a time. The first batch
 * is read before the header is yielded, so a warehouse that cannot be read (the worker holds it)
 * fails when the caller asks for the first chunk, before any response has been started.
 */
export async function* quarantineCsv(warehouse: Warehouse, tenant: TenantNamespace, query: QuarantineQuery): AsyncGenerator<string> {
  const { sql, params } = where(query);
  try {
    const batches = warehouse.stream(tenant, `${COLUMNS}${sql}`, params)[Symbol.asyncIterator]();
    let next = await batches.next();
    yield QUARANTINE_CSV_HEADER;
    while (next.done !== true) {
      yield stringify(
        // The columns selected are text and an integer line number; the row as the file held it is
        // the customer's own text, which Excel must not run as a formula.
        next.value.map((r) => [r.file, r.line, r.reason, spreadsheetSafe(r.raw)].map((v) => (v === null || v === undefined ? '' : String(v as string | number | bigint)))),
        { record_delimiter: '\r\n' },
      );
      next = await batches.next();
    }
  } finally {
    await warehouse.release(tenant);
  }
}
