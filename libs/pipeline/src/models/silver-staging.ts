import crypto from 'node:crypto';
import path from 'node:path';
import { ALL_FILES, type ColumnSpec, type SourceFileSpec } from '@kineo/contract';
import type { Dialect, LocalTableFiles, WarehouseSession } from '@kineo/warehouse';
import type { Model } from './model';

export interface Sentinels {
  /** Texts listed in null_dates.csv. */
  texts: string[];
}

/** The typed value of a bronze text column, by its kind in the contract, in one expression. */
export function typedColumn(column: ColumnSpec, dialect: Dialect, sentinels: Sentinels): string {
  const raw = `trim(${dialect.ident(column.name)})`;
  const blank = `nullif(${raw}, '')`;
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
      const parsed = `case when ${dialect.fullMatch(raw, '-?[0-9]{1,12}')} then ${dialect.fromUnixSeconds(raw)} else ${dialect.tryParseIsoTimestamp(raw)} end`;
      const sentinelTimes = sentinelTimestamps(dialect, sentinels);
      const ts = `(${parsed})`;
      const unsetByTime = sentinelTimes.length > 0 ? `when ${ts} in (${sentinelTimes.join(', ')}) then null ` : '';
      return `case when ${dialect.ident(column.name)} is null or ${raw} in (${notSet}) then null ${unsetByTime}else ${ts} end`;
    }
    case 'text':
      return dialect.ident(column.name);
  }
}

/**
 * The same typed value, cast first (see parsedColumn), as silver staging on Parquet files (DuckDB)
 * computes it, there in two steps.
 */
export function castFirstTypedColumn(column: ColumnSpec, dialect: Dialect, sentinels: Sentinels): string {
  return unsetSentinelTimes(column, dialect, sentinels, `(${parsedColumn(column, dialect, sentinels)})`);
}

/** The timestamps null_dates.csv's texts stand for (Unix seconds or ISO-8601). */
function sentinelTimestamps(dialect: Dialect, sentinels: Sentinels): string[] {
  return sentinels.texts.map((t) => (/^-?[0-9]{1,12}$/.test(t) ? dialect.fromUnixSeconds(dialect.literal(t)) : dialect.tryParseIsoTimestamp(dialect.literal(t))));
}

/**
 * DuckDB, first step of typing: the value parsed once. Bronze holds only values that passed the
 * checks, so a value DuckDB casts to a whole number is Unix seconds (its cast ignores surrounding
 * blanks, as the checks' trim does), and only the rest need the trim: blanks, "not set" texts and
 * ISO-8601 dates. A time column's parse is used three times below, which is why it is a column of
 * an inner select and not repeated inside one expression (DuckDB would evaluate it each time).
 */
function parsedColumn(column: ColumnSpec, dialect: Dialect, sentinels: Sentinels): string {
  const v = dialect.ident(column.name);
  const whole = `try_cast(${v} as bigint)`;
  switch (column.kind) {
    case 'id':
      // A reference id of 0 means "none" in the LMS (parentid 0 = top, managerjaid 0 = no manager).
      return column.nullable ? `nullif(${whole}, 0)` : whole;
    case 'int':
      return whole;
    case 'code':
      return `cast(${whole} as integer)`;
    case 'bool':
      return `case ${v} when '1' then true when '0' then false else (case trim(${v}) when '1' then true when '0' then false end) end`;
    case 'time': {
      // '0' is "not set"; other spellings of zero ('00', '-0') are the Unix epoch, as the checks read them.
      const notSet = [`''`, ...sentinels.texts.map((t) => dialect.literal(t))].join(', ');
      return `case when ${whole} is not null then (case when ${whole} = 0 and trim(${v}) = '0' then null else ${dialect.fromUnixSeconds(whole)} end)
        when ${v} is null or trim(${v}) in (${notSet}) then null
        else ${dialect.tryParseIsoTimestamp(`trim(${v})`)} end`;
    }
    case 'text':
      return v;
  }
}

/** DuckDB, second step: a parsed time that equals a "not set" date of null_dates.csv is NULL. */
function unsetSentinelTimes(column: ColumnSpec, dialect: Dialect, sentinels: Sentinels, parsed: string): string {
  const times = sentinelTimestamps(dialect, sentinels);
  if (column.kind !== 'time' || times.length === 0) return parsed;
  return `case when ${parsed} in (${times.join(', ')}) then null else ${parsed} end`;
}

/**
 * silver.<file>: typed, sentinel dates as NULL, and deduplicated: per key, the row from the
 * latest load wins (then the last line of that load). Only finished loads count (a load's
 * bronze._loads row is written last, see removeUnfinishedLoad).
 */
function stagingModel(spec: SourceFileSpec): Omit<Model, 'sql'> {
  return { name: `silver.${spec.name}`, depends: [`bronze.${spec.name}`], kind: 'table', stage: 'silver', source: `contract:${spec.name}` };
}

const COMMITTED = 'where _batch_seq <= (select coalesce(max(batch_seq), 0) from bronze._loads)';

/**
 * silver.<file> as a Parquet file written by each build behind a view (DuckDB); `target` is the
 * file (see parquetSilverFiles).
 */
export function parquetSilverStagingModel(spec: SourceFileSpec, dialect: Dialect, sentinels: Sentinels, target: string): Model {
  const key = spec.key.map((k) => dialect.ident(k));
  const typed = `select ${spec.columns.map((c) => `${unsetSentinelTimes(c, dialect, sentinels, dialect.ident(c.name))} as ${dialect.ident(c.name)}`).join(', ')},
    _batch_seq, _source_file, _source_line
  from (
    select ${spec.columns.map((c) => `${parsedColumn(c, dialect, sentinels)} as ${dialect.ident(c.name)}`).join(',\n      ')},
      _batch_seq, _source_file, _source_line
    from bronze.${spec.name}
    ${COMMITTED}
  ) parsed`;
  // Most keys are unique: the superseded rows (those of a repeated key but the latest) are found
  // first, by counting per key, and the file is written once without them. A count keeps the
  // aggregate's state fixed-size, so DuckDB can spill it (an arg_max over a (batch, line) pair
  // per key ran out of memory at 100M rows under a 4GB limit), and only rows of repeated keys
  // reach the window. Keys of several columns are counted by their hash (one 64-bit value
  // instead of up to five columns, a text among them: a third faster on 41.8M SCORM rows); a
  // collision only brings a few more rows to the window, which partitions by the key itself.
  // A bronze row is one (_batch_seq, _source_line): one file per table per load.
  const t = (k: string) => `t.${dialect.ident(k)}`;
  const keyHash = (columns: string[]) => (columns.length > 1 ? `hash(${columns.join(', ')})` : columns[0]);
  return {
    ...stagingModel(spec),
    sql: `create or replace temp table _superseded as
select _batch_seq, _source_line from (
  select t._batch_seq, t._source_line,
    row_number() over (partition by ${spec.key.map(t).join(', ')} order by t._batch_seq desc, t._source_line desc) as rank
  from (${typed}) t semi join (
    select ${keyHash(key)} as k from (${typed}) keys group by 1 having count(*) > 1
  ) d on ${keyHash(spec.key.map(t))} is not distinct from d.k
) where rank > 1`,
    statements: [
      `copy (select t.* from (${typed}) t anti join _superseded s on t._batch_seq = s._batch_seq and t._source_line = s._source_line)
  to ${dialect.literal(target)} (format parquet)`,
      `create or replace view silver.${spec.name} as select * from read_parquet(${dialect.literal(target)})`,
      'drop table _superseded',
    ],
  };
}

/** silver.<file> as a table of the engine's own, replaced by each build (Databricks). */
export function tableSilverStagingModel(spec: SourceFileSpec, dialect: Dialect, sentinels: Sentinels): Model {
  const key = spec.key.map((k) => dialect.ident(k));
  const typed = spec.columns.map((c) => `${typedColumn(c, dialect, sentinels)} as ${dialect.ident(c.name)}`);
  // Typed once in the inner select; the window partitions on the typed columns by name.
  return {
    ...stagingModel(spec),
    sql: `create or replace table silver.${spec.name} as
select * from (
  select ${typed.join(',\n    ')},
    _batch_seq, _source_file, _source_line
  from bronze.${spec.name}
  ${COMMITTED}
) typed
qualify row_number() over (partition by ${key.join(', ')} order by _batch_seq desc, _source_line desc) = 1`,
  };
}

/**
 * Silver staging tables as Parquet files (DuckDB): `<tenant>/silver/<table>/<build>.parquet`, one
 * file per build, and `silver.<table>`, a view over the latest. Writing a typed Parquet file costs
 * about half of writing the same rows into a DuckDB table (docs/benchmarks.md). Only the worker
 * reads silver; a build's files replace the previous build's once its silver stage has finished.
 */
export function parquetSilverFiles(session: WarehouseSession, files: LocalTableFiles) {
  const build = `${Date.now()}-${crypto.randomBytes(4).toString('hex')}.parquet`;
  return {
    file(table: string): string {
      return path.join(files.folder('silver', table), build);
    },
    /** A tenant built when silver staging tables were DuckDB tables: those go (the build remakes them as views). */
    async dropTables(): Promise<void> {
      const tables = await session.query<{ table_name: string }>(
        "select table_name from information_schema.tables where table_catalog = current_database() and table_schema = 'silver' and table_type = 'BASE TABLE'",
      );
      const staging = new Set(ALL_FILES.map((s) => s.name));
      for (const { table_name } of tables.rows) if (staging.has(table_name)) await session.execute(`drop table silver.${table_name}`);
    },
    /** Removes every file but this build's: earlier builds', and any a failed build left. */
    removeOthers(): void {
      for (const spec of ALL_FILES) {
        for (const name of files.list('silver', spec.name)) if (name !== build) files.remove('silver', spec.name, name);
      }
    },
  };
}
