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

/** All of a row's problems joined, or NULL for a good row. */
export function rowProblems(spec: SourceFileSpec, dialect: Dialect, sentinels: string): string {
  const checks = spec.columns.filter((c) => c.kind !== 'text').map((c) => columnProblem(c, dialect, sentinels));
  if (checks.length === 0) return 'cast(null as varchar)';
  return `nullif(concat_ws('; ', ${checks.join(',\n      ')}), '')`;
}
