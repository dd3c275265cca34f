import type { Column, Row } from '../types';

/** TCLIService `TTypeId` values (stable protocol constants). */
const TYPE_NAMES: Record<number, string> = {
  0: 'boolean',
  1: 'tinyint',
  2: 'smallint',
  3: 'int',
  4: 'bigint',
  5: 'float',
  6: 'double',
  7: 'string',
  8: 'timestamp',
  9: 'binary',
  10: 'array',
  11: 'map',
  12: 'struct',
  13: 'union',
  14: 'user_defined',
  15: 'decimal',
  16: 'void',
  17: 'date',
  18: 'string',
  19: 'string',
  20: 'interval year to month',
  21: 'interval day to second',
};

/** The subset of a Thrift `TTableSchema` the driver reads. */
export interface ThriftTableSchema {
  columns: Array<{
    columnName: string;
    position: number;
    typeDesc: {
      types: Array<{
        primitiveEntry?: { type: number; typeQualifiers?: { qualifiers?: Record<string, { i32Value?: number | null }> } | null } | null;
      }>;
    };
  }>;
}

export interface ResultColumn extends Column {
  kind: string;
}

export function resultColumns(schema: ThriftTableSchema | null | undefined): ResultColumn[] {
  const columns = [...(schema?.columns ?? [])].sort((a, b) => a.position - b.position);
  return columns.map((column) => {
    const entry = column.typeDesc.types[0];
    const primitive = entry?.primitiveEntry;
    const kind = primitive ? (TYPE_NAMES[primitive.type] ?? 'string') : 'string';
    let type = kind;
    if (kind === 'decimal') {
      const q = primitive?.typeQualifiers?.qualifiers ?? {};
      const precision = q.precision?.i32Value;
      const scale = q.scale?.i32Value;
      if (precision != null) type = `decimal(${precision},${scale ?? 0})`;
    }
    return { name: column.columnName, type, kind };
  });
}

function integer(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) && BigInt(Number(value)) === value ? Number(value) : value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return integer(BigInt(value));
  return value;
}

function isoDate(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'number') return new Date(value).toISOString().slice(0, 10);
  if (typeof value === 'string') return value.slice(0, 10);
  return value;
}

function isoTimestamp(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  if (typeof value === 'string') {
    // Row-based results carry `2024-07-01 10:11:12[.123456]` in the session time zone (UTC).
    const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
    if (m) return new Date(`${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}${m[4] ?? 'Z'}`).toISOString();
  }
  return value;
}

/**
 * The driver's values (Arrow with precise numerics) as the Warehouse contract wants them:
 * integers as numbers unless unsafe (then bigint), decimals as numbers, dates 'YYYY-MM-DD',
 * timestamps ISO-8601 in UTC.
 */
export function normaliseValue(kind: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'tinyint':
    case 'smallint':
    case 'int':
    case 'bigint':
      return integer(value);
    case 'decimal':
    case 'float':
    case 'double':
      return typeof value === 'number' ? value : Number(value);
    case 'date':
      return isoDate(value);
    case 'timestamp':
      return isoTimestamp(value);
    case 'boolean':
      return typeof value === 'string' ? value.toLowerCase() === 'true' : Boolean(value);
    default:
      return value;
  }
}

export function normaliseRows(columns: ResultColumn[], raw: object[]): Row[] {
  return raw.map((record) => {
    const source = record as Record<string, unknown>;
    const row: Row = {};
    for (const column of columns) row[column.name] = normaliseValue(column.kind, source[column.name]);
    return row;
  });
}
