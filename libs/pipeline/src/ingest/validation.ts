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
