import type { ColumnSpec, SourceFileSpec } from '@kineo/contract';
import type { Dialect } from '@kineo/warehouse';

/** Unix seconds up to the year 9999. */
const UNIX_SECONDS = '-?[0-9]{1,12}';
const WHOLE = '[+-]?[0-9]+';

/**
 * SQL for why one value breaks the contract, or NULL when it is fine. `sentinels` is a SQL
 * list of the quoted texts that mean "not set" (null_dates.csv).
 */
export function columnProblem(column: ColumnSpec, dialect: Dialect, sentinels: string): string {
  const name = dialect.ident(column.name);
  const v = `trim(${name})`;
  const shown = `${dialect.concatNullSafe(`'"'`, `left(${name}, 60)`, `'"'`)}`;
  const empty = `(${name} is null or ${v} = '')`;
  const emptyProblem = column.nullable ? 'null' : `'${column.name} is empty'`;
  switch (column.kind) {
    case 'id':
    case 'int':
      // Silver holds these as 64-bit integers: a longer number is refused here, not by a failed build.
      return `case when ${empty} then ${emptyProblem}
        when not ${dialect.fullMatch(v, column.kind === 'id' ? '[0-9]+' : WHOLE)} then ${dialect.concatNullSafe(`'${column.name} is not a whole number: '`, shown)}
        when try_cast(${v} as bigint) is null then ${dialect.concatNullSafe(`'${column.name} is too large for a 64-bit whole number: '`, shown)} end`;
    case 'bool':
      return `case when ${empty} then ${emptyProblem}
        when ${v} not in ('0', '1') then ${dialect.concatNullSafe(`'${column.name} must be 0 or 1: '`, shown)} end`;
    case 'code':
      return `case when ${empty} then ${emptyProblem}
        when not ${dialect.fullMatch(v, WHOLE)} or coalesce(try_cast(${v} as bigint) not in (${column.codes!.join(', ')}), true)
        then ${dialect.concatNullSafe(`'${column.name} '`, shown, `' is not a code the contract lists (${column.codes!.join(', ')})'`)} end`;
    case 'time':
      return `case when ${empty} or ${v} = '0' or ${v} in (${sentinels}) then null
        when ${dialect.fullMatch(v, UNIX_SECONDS)} then null
        when ${dialect.tryParseIsoTimestamp(v)} is null then ${dialect.concatNullSafe(`'${column.name} is not a date: '`, shown)} end`;
    case 'text':
      return 'null';
  }
}

/**
 * SQL that is true only for a value the contract certainly accepts, in the form nearly every value
 * of an export has (canonical digits, a listed code, 0/1, blank where allowed): a cast and a
 * comparison instead of a trim and a regular expression. False means "not sure", never "bad":
 * those values go through columnProblem. Each case implies columnProblem's NULL for the value.
 */
export function surelyValid(column: ColumnSpec, dialect: Dialect): string | null {
  const v = dialect.ident(column.name);
  const blank = `(${v} is null or ${v} = '')`;
  const blankOk = column.nullable ? `${blank} or ` : '';
  // The round trip holds only for an optional '-' and digits without leading zeros that fit 64 bits.
  const canonical = `cast(try_cast(${v} as bigint) as string) = ${v}`;
  switch (column.kind) {
    case 'id':
      return `(${blankOk}(${canonical} and left(${v}, 1) <> '-'))`;
    case 'int':
      return `(${blankOk}${canonical})`;
    case 'bool':
      return `(${blankOk}${v} in ('0', '1'))`;
    case 'code':
      return `(${blankOk}${v} in (${column.codes!.map((c) => dialect.literal(String(c))).join(', ')}))`;
    case 'time':
      // Unix seconds of at most 12 characters (the UNIX_SECONDS pattern), or blank (never a problem).
      return `(${blank} or (length(${v}) <= 12 and ${canonical}))`;
    case 'text':
      return null;
  }
}

/** All of a row's problems joined, or NULL for a good row. */
export function rowProblems(spec: SourceFileSpec, dialect: Dialect, sentinels: string): string {
  const checks = spec.columns.filter((c) => c.kind !== 'text').map((c) => columnProblem(c, dialect, sentinels));
  if (checks.length === 0) return 'cast(null as varchar)';
  return `nullif(concat_ws('; ', ${checks.join(',\n      ')}), '')`;
}

/**
 * rowProblems with the full checks (trims and regular expressions) run only for rows the fast
 * test is unsure of: a CASE evaluates its branch only for the rows that reach it. Same verdicts;
 * the DuckDB loader's form (the Databricks loader keeps the plain checks).
 */
export function screenedRowProblems(spec: SourceFileSpec, dialect: Dialect, sentinels: string): string {
  const columns = spec.columns.filter((c) => c.kind !== 'text');
  if (columns.length === 0) return rowProblems(spec, dialect, sentinels);
  const sure = columns.map((c) => `coalesce(${surelyValid(c, dialect)}, false)`).join(' and ');
  return `case when ${sure} then cast(null as varchar) else ${rowProblems(spec, dialect, sentinels)} end`;
}

/**
 * A row's problem given `checked` (the column holding its other problems, NULL for none): those, or
 * for a good row that a later good row of the file repeats by key, where the one loaded is ("id 2
 * is on line 6 too, which is loaded: a file holds one row per id"). Both loaders use it, over rows
 * that carry `_source_line`.
 */
export function repeatedKeyProblem(spec: SourceFileSpec, dialect: Dialect, checked: string): string {
  const sameKey = `partition by ${spec.key.map((k) => keyValue(spec, k, dialect)).join(', ')}, (${checked} is null)`;
  const named = spec.key.map((k) => dialect.concatNullSafe(dialect.literal(`${k} `), `trim(${dialect.ident(k)})`)).join(", ', ', ");
  const where = dialect.concatNullSafe(
    named,
    `' is on line '`,
    `cast(max(_source_line) over (${sameKey}) as string)`,
    dialect.literal(` too, which is loaded: a file holds one row per ${spec.key.join(' and ')}`),
  );
  return `case when ${checked} is null and row_number() over (${sameKey} order by _source_line desc) > 1 then ${where} else ${checked} end`;
}

/**
 * SQL that is true when one of `columns` (text) holds a line break: a quoted field over several
 * lines, which puts the records after it further down the file than their count says. A line ends
 * with LF (CRLF ends with one too), as wc, grep and git count lines; a lone CR ends none. A
 * `contains` per column is a plain byte search, in parallel, and cheaper than joining the columns
 * first or looking for CR too (bench/source-lines.ts).
 */
export function lineBreakCheck(columns: string[], dialect: Dialect): string {
  return `(${columns.map((c) => `contains(${dialect.ident(c)}, chr(10))`).join(' or ')})`;
}

/** SQL for the number of line breaks (LFs) in a text; 0 for NULL. */
export function lineBreaks(text: string): string {
  return `coalesce(length(${text}) - length(replace(${text}, chr(10), '')), 0)`;
}

/** SQL for the line breaks in a row's `columns` together: how many lines past its first the record takes. */
export function rowLineBreaks(columns: string[], dialect: Dialect): string {
  return `(${columns.map((c) => lineBreaks(dialect.ident(c))).join(' + ')})`;
}

/**
 * A key column's value as silver compares it when it keeps one row per key: numbers as numbers
 * ('007' and '7' are one id), text as written. Rows whose value is no number
 * have a problem of their own and are never taken for a repeat.
 */
export function keyValue(spec: SourceFileSpec, name: string, dialect: Dialect): string {
  const column = spec.columns.find((c) => c.name === name);
  const value = dialect.ident(name);
  // A cast to a number skips the spaces around it on both engines, as silver's trim-then-cast does.
  if (column?.kind === 'id' || column?.kind === 'int' || column?.kind === 'code') return `try_cast(${value} as bigint)`;
  // Silver keeps text as written; a date is compared as written too (a file writes its dates one way).
  return column?.kind === 'time' ? `trim(${value})` : value;
}
