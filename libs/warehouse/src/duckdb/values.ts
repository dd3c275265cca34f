import type { DuckDBType } from '@duckdb/node-api';
import type { Row, SqlParam } from '../types';

/** JavaScript values the contract promises (see Row), from DuckDB's JS conversion. */
export function normaliseValue(value: unknown, type: DuckDBType | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
  }
  if (value instanceof Date) {
    return String(type) === 'DATE' ? value.toISOString().slice(0, 10) : value.toISOString();
  }
  return value;
}

export function normaliseRows(rows: Record<string, unknown>[], names: string[], types: DuckDBType[]): Row[] {
  return rows.map((row) => {
    const out: Row = {};
    names.forEach((name, i) => (out[name] = normaliseValue(row[name], types[i])));
    return out;
  });
}

/** Parameters as DuckDB binds them; dates travel as ISO text and are cast by the statement. */
export function bindable(params: SqlParam[]): (string | number | bigint | boolean | null)[] {
  return params.map((p) => (p instanceof Date ? p.toISOString() : p));
}
