import type { Engine } from './types';

export type DateUnit = 'day' | 'month' | 'year' | 'hour' | 'minute' | 'second';

export interface CsvReadOptions {
  /** Every column as text: types are applied in silver, never guessed at ingestion. */
  header?: boolean;
  delimiter?: string;
}

/**
 * Where the two engines' SQL differs, one function per construct returns each engine's form.
 * Everything else in a model is written in the subset both share.
 */
export interface Dialect {
  readonly engine: Engine;
  /** `expr` plus `n` units (n may be an expression). */
  dateAdd(unit: DateUnit, n: string, expr: string): string;
  /** Whole `unit`s from `start` to `end` (day: calendar days). */
  dateDiff(unit: 'day' | 'month' | 'year', start: string, end: string): string;
  /** A date or timestamp formatted as yyyymmdd integer, the gold date key. */
  dateKey(expr: string): string;
  /** Unix seconds (number) to a UTC timestamp. */
  fromUnixSeconds(expr: string): string;
  /** A timestamp to Unix seconds. */
  toUnixSeconds(expr: string): string;
  /** Parses text with an ISO-8601 date or date-time, NULL when it is not one. */
  tryParseIsoTimestamp(expr: string): string;
  /** Concatenation that treats NULL as '' (DuckDB's concat does; Databricks' returns NULL). */
  concatNullSafe(...parts: string[]): string;
  /** A table expression reading CSV files with every column as text. */
  readCsv(paths: string[], options?: CsvReadOptions): string;
  /** `with recursive name(columns) as (body)`; Databricks needs the recursion limit stated. */
  recursiveCte(name: string, columns: string[], body: string, maxDepth: number): string;
  /** True when the whole of `expr` matches the regular expression. */
  fullMatch(expr: string, regex: string): string;
  /** An identifier (column, alias), quoted for this engine: Databricks reads "x" as a string. */
  ident(name: string): string;
  /** A string literal, quoted for this engine. */
  literal(value: string): string;
  /** The current timestamp, UTC. */
  now(): string;
}

/** Databricks takes backslash escapes and reads `'a''b'` as two literals run together ("ab"), so it gets `\'`. */
const quote = (value: string, backslash: boolean) =>
  backslash ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : `'${value.replace(/'/g, "''")}'`;

export const duckdbDialect: Dialect = {
  engine: 'duckdb',
  dateAdd: (unit, n, expr) => `(${expr} + to_${unit}s(cast(${n} as integer)))`,
  dateDiff: (unit, start, end) => `date_diff('${unit}', cast(${start} as date), cast(${end} as date))`,
  dateKey: (expr) => `cast(strftime(${expr}, '%Y%m%d') as integer)`,
  fromUnixSeconds: (expr) => `make_timestamp(cast(${expr} as bigint) * 1000000)`,
  toUnixSeconds: (expr) => `epoch(${expr})`,
  tryParseIsoTimestamp: (expr) => `cast(try_cast(${expr} as timestamptz) at time zone 'UTC' as timestamp)`,
  concatNullSafe: (...parts) => `concat(${parts.join(', ')})`,
  readCsv: (paths, options = {}) =>
    `read_csv([${paths.map((p) => quote(p, false)).join(', ')}], all_varchar = true, header = ${options.header ?? true}, delim = ${quote(options.delimiter ?? ',', false)}, filename = true)`,
  recursiveCte: (name, columns, body) => `with recursive ${name}(${columns.join(', ')}) as (${body})`,
  fullMatch: (expr, regex) => `regexp_full_match(${expr}, ${quote(regex, false)})`,
  ident: (name) => `"${name.replace(/"/g, '""')}"`,
  literal: (value) => quote(value, false),
  now: () => `cast(current_timestamp at time zone 'UTC' as timestamp)`,
};

export const databricksDialect: Dialect = {
  engine: 'databricks',
  dateAdd: (unit, n, expr) =>
    unit === 'day'
      ? `date_add(${expr}, cast(${n} as int))`
      : `timestampadd(${unit.toUpperCase()}, cast(${n} as int), ${expr})`,
  dateDiff: (unit, start, end) =>
    unit === 'day'
      ? `datediff(cast(${end} as date), cast(${start} as date))`
      : `timestampdiff(${unit.toUpperCase()}, cast(${start} as date), cast(${end} as date))`,
  dateKey: (expr) => `cast(date_format(${expr}, 'yyyyMMdd') as int)`,
  fromUnixSeconds: (expr) => `timestamp_seconds(cast(${expr} as bigint))`,
  toUnixSeconds: (expr) => `unix_timestamp(${expr})`,
  tryParseIsoTimestamp: (expr) => `try_cast(${expr} as timestamp)`,
  concatNullSafe: (...parts) => `concat_ws('', ${parts.join(', ')})`,
  readCsv: (paths, options = {}) =>
    `read_files(${paths.length === 1 ? quote(paths[0], true) : `array(${paths.map((p) => quote(p, true)).join(', ')})`}, format => 'csv', header => ${options.header ?? true}, sep => ${quote(options.delimiter ?? ',', true)}, inferSchema => false, mode => 'PERMISSIVE')`,
  recursiveCte: (name, columns, body, maxDepth) =>
    `with recursive ${name}(${columns.join(', ')}) max recursion level ${Math.max(1, Math.floor(maxDepth))} as (${body})`,
  fullMatch: (expr, regex) => `(${expr} rlike ${quote(`^(?:${regex})$`, true)})`,
  ident: (name) => `\`${name.replace(/`/g, '``')}\``,
  literal: (value) => quote(value, true),
  now: () => 'current_timestamp()',
};

export function dialectFor(engine: Engine): Dialect {
  return engine === 'duckdb' ? duckdbDialect : databricksDialect;
}
