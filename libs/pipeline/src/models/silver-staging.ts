import { ALL_FILES, type ColumnSpec, type SourceFileSpec } from '@kineo/contract';
import type { Dialect } from '@kineo/warehouse';
import type { Model } from './model';


export interface Sentinels {
  /** Texts listed in null_dates.csv. */
  texts: string[];
}

/** The typed value of a bronze text column, by its kind in the contract. */
export function typedColumn(column: ColumnSpec, dialect: Dialect, sentinels: Sentinels): string {
  const raw = `trim(${dialect.ident(column.name)})`;
  // DuckDB's cast ignores surrounding blanks, and the checks let through only values it takes, so
  // only a blank (or all-space) value needs the trim; try_cast gives NULL for those.
  const blank = dialect.engine === 'duckdb' ? `try_cast(${dialect.ident(column.name)} as bigint)` : `nullif(${raw}, '')`;
  switch (column.kind) {
    case 'id':
      // A reference id of 0 means "none" in the LMS (parentid 0 = top, managerjaid 0 = no manager).
      return column.nullable ? `nullif(cast(${blank} as bigint), 0)` : `cast(${blank} as bigint)`;
    case 'int':
      return `cast(${blank} as bigint)`;
    case 'code':
      return `cast(${blank} as integer)`;
    case 'bool':
      return `case ${raw} when '1' then true when '0' then false end`;
    case 'time': {
      const notSet = [`''`, `'0'`, ...sentinels.texts.map((t) => dialect.literal(t))].join(', ');
      // Bronze holds only values that passed the checks; most are canonical Unix seconds, typed
      // without the trim and the regular expression (the same test as surelyValid in validation.ts).
      const v = dialect.ident(column.name);
      const canonical = dialect.engine === 'duckdb' ? `when length(${v}) <= 12 and cast(try_cast(${v} as bigint) as string) = ${v} then ${dialect.fromUnixSeconds(v)} ` : '';
      const parsed = `case ${canonical}when ${dialect.fullMatch(raw, '-?[0-9]{1,12}')} then ${dialect.fromUnixSeconds(raw)} else ${dialect.tryParseIsoTimestamp(raw)} end`;
      const sentinelTimes = sentinels.texts
        .map((t) => (/^-?[0-9]{1,12}$/.test(t) ? dialect.fromUnixSeconds(dialect.literal(t)) : dialect.tryParseIsoTimestamp(dialect.literal(t))))
        .filter(Boolean);
      const ts = `(${parsed})`;
      const unsetByTime = sentinelTimes.length > 0 ? `when ${ts} in (${sentinelTimes.join(', ')}) then null ` : '';
      return `case when ${dialect.ident(column.name)} is null or ${raw} in (${notSet}) then null ${unsetByTime}else ${ts} end`;
    }
    case 'text':
      return dialect.ident(column.name);
  }
}

/**
 * silver.<file>: typed, sentinel dates as NULL, and deduplicated: per key, the row from the
 * latest load wins (then the last line of that load). Only finished loads count (a load's
 * bronze._loads row is written last, see removeUnfinishedLoad).
 */
export function silverStagingModel(spec: SourceFileSpec, dialect: Dialect, sentinels: Sentinels): Model {
  const typed = spec.columns.map((c) => `${typedColumn(c, dialect, sentinels)} as ${dialect.ident(c.name)}`);
  const key = spec.key.map((k) => dialect.ident(k));
  const select = `select ${typed.join(',\n    ')},
    _batch_seq, _source_file, _source_line
  from bronze.${spec.name}
  where _batch_seq <= (select coalesce(max(batch_seq), 0) from bronze._loads)`;
  const model = { name: `silver.${spec.name}`, depends: [`bronze.${spec.name}`], kind: 'table' as const, stage: 'silver', source: `contract:${spec.name}` };
  if (dialect.engine === 'duckdb') {
    // Most keys are unique: typing every row and then deleting the few superseded ones (repeated
    // keys found by one hash aggregate) is about a quarter faster than a window over every row.
    // Keys of several columns are grouped by their hash (one 64-bit value instead of up to five
    // columns, a text among them: a third faster on 41.8M SCORM rows); a collision only brings a
    // few more rows to the window, which partitions by the key itself.
    const t = (k: string) => `t.${dialect.ident(k)}`;
    const keyHash = (columns: string[]) => (columns.length > 1 ? `hash(${columns.join(', ')})` : columns[0]);
    return {
      ...model,
      sql: `create or replace table silver.${spec.name} as\n${select}`,
      // Counting per key keeps the aggregate's state fixed-size, so DuckDB can spill it: an
      // arg_max over a (batch, line) pair per key ran out of memory at 100M rows under a 4GB limit.
      // Only rows of repeated keys reach the window.
      statements: [`delete from silver.${spec.name} where rowid in (
  select row_id from (
    select t.rowid as row_id,
      row_number() over (partition by ${spec.key.map(t).join(', ')} order by t._batch_seq desc, t._source_line desc) as rank
    from silver.${spec.name} t semi join (
      select ${keyHash(key)} as k from silver.${spec.name} group by 1 having count(*) > 1
    ) d on ${keyHash(spec.key.map(t))} is not distinct from d.k
  ) where rank > 1)`],
    };
  }
  // Typed once in the inner select; the window partitions on the typed columns by name.
  return {
    ...model,
    sql: `create or replace table silver.${spec.name} as
select * from (
  ${select}
) typed
qualify row_number() over (partition by ${key.join(', ')} order by _batch_seq desc, _source_line desc) = 1`,
  };
}

export function silverStagingModels(dialect: Dialect, sentinels: Sentinels): Model[] {
  return ALL_FILES.map((spec) => silverStagingModel(spec, dialect, sentinels));
}
