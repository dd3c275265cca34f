import type { ColumnFormat } from '../analytics.types';
import type { DimensionDef, DimensionType, MeasureDef, MeasureRollup, SqlOf } from './model.types';

// One helper per kind of measure, so adding a measure to a cube is one line.

/** Kept in a rollup as itself, summed across rollup rows (a count stays a whole number). */
const summedCount = (sql: SqlOf): MeasureRollup => ({ parts: { n: sql }, combine: ({ total }) => `cast(${total('n')} as bigint)` });

export const count = (title: string, description: string): MeasureDef => ({
  title,
  description,
  format: 'integer',
  sql: () => 'count(*)',
  rollup: summedCount(() => 'count(*)'),
});

export const countWhere = (title: string, description: string, rows: SqlOf): MeasureDef => {
  const sql: SqlOf = (n, c) => `count(case when ${rows(n, c)} then 1 end)`;
  return { title, description, format: 'integer', sql, rows, rollup: summedCount(sql) };
};

/**
 * A count of the `known` rows (that are also `rows`, when given); null for a group that has rows but
 * none known, where a count would read 0 for what is not known. Over no rows at all it is 0, as a count is.
 */
export const yearEndKnownCount = (title: string, description: string, known: SqlOf, rows?: SqlOf): MeasureDef => {
  const counted: SqlOf = (n, c) => (rows ? `${known(n, c)} and ${rows(n, c)}` : known(n, c));
  return {
    title,
    description,
    format: 'integer',
    sql: (n, c) => `case when count(*) > 0 and count(case when ${known(n, c)} then 1 end) = 0 then null else count(case when ${counted(n, c)} then 1 end) end`,
    rows: counted,
    rollup: {
      parts: { n: (n, c) => `count(case when ${counted(n, c)} then 1 end)`, known: (n, c) => `count(case when ${known(n, c)} then 1 end)`, all: () => 'count(*)' },
      combine: ({ total }) => `case when ${total('all')} > 0 and ${total('known')} = 0 then null else cast(${total('n')} as bigint) end`,
    },
  };
};

/** Learners with a `known` row; null for a group that has rows but none known (as yearEndKnownCount). */
export const knownLearners = (description: string, known: SqlOf): MeasureDef => {
  const sql: SqlOf = (n, c) =>
    `case when count(*) > 0 and count(case when ${known(n, c)} then 1 end) = 0 then null ` +
    `else count(distinct case when ${known(n, c)} and ${n.f}.user_key <> -1 then ${n.f}.user_key end) end`;
  return {
    title: 'Learners',
    description,
    format: 'integer',
    sql,
    rows: known,
    drillsLearners: true,
    // Exact, as every distinct count; a group with no rollup row counted none (0), one whose row holds null knows none.
    rollup: {
      parts: { v: sql, all: () => 'count(*)' },
      combine: ({ one }) => `case when ${one('all')} is null then cast(0 as bigint) else ${one('v')} end`,
      exact: true,
    },
  };
};

/** A value that does not add up across groups: kept only for a rollup whose rows are the query's groups. */
export const exactly = (sql: SqlOf, zero?: string): MeasureRollup => ({
  parts: { v: sql },
  combine: ({ one }) => (zero === undefined ? one('v') : `coalesce(${one('v')}, ${zero})`),
  exact: true,
});

/** Learners known to the LMS (the unknown member -1 is not a learner). */
export const distinctLearners = (description: string): MeasureDef => {
  const sql: SqlOf = (n) => `count(distinct case when ${n.f}.user_key <> -1 then ${n.f}.user_key end)`;
  // A distinct count over no rows is 0, as count(distinct) gives; the rollup has no row to read then.
  return { title: 'Learners', description, format: 'integer', sql, drillsLearners: true, rollup: exactly(sql, 'cast(0 as bigint)') };
};

/** Share (0-1) of the `of` rows (every row when unset) that are `rows`; null when there are none. */
export const rate = (title: string, description: string, rows: SqlOf, of?: SqlOf): MeasureDef => ({
  title,
  description,
  format: 'percent',
  sql: (n, c) => {
    const numerator = of ? `${of(n, c)} and ${rows(n, c)}` : rows(n, c);
    const denominator = of ? `count(case when ${of(n, c)} then 1 end)` : 'count(*)';
    return `cast(count(case when ${numerator} then 1 end) as double) / nullif(${denominator}, 0)`;
  },
  rows: of,
  // A ratio does not add up; its numerator and denominator do.
  rollup: {
    parts: {
      num: (n, c) => `count(case when ${of ? `${of(n, c)} and ${rows(n, c)}` : rows(n, c)} then 1 end)`,
      den: (n, c) => (of ? `count(case when ${of(n, c)} then 1 end)` : 'count(*)'),
    },
    combine: ({ total }) => `cast(${total('num')} as double) / nullif(${total('den')}, 0)`,
  },
});

export const sum = (title: string, description: string, format: ColumnFormat, expr: SqlOf): MeasureDef => ({
  title,
  description,
  format,
  sql: (n, c) => `coalesce(sum(${expr(n, c)}), 0)`,
  // DuckDB sums whole numbers into HUGEINT, which it stores bit-packed and scans about ten times
  // slower than BIGINT (on 600,000 learners it made a per-learner rollup slower than the facts).
  rollup: { parts: { s: (n, c) => (format === 'integer' ? `cast(sum(${expr(n, c)}) as bigint)` : `sum(${expr(n, c)})`) }, combine: ({ total }) => total('s') },
});

export const average = (title: string, description: string, format: ColumnFormat, expr: SqlOf, rows?: SqlOf): MeasureDef => ({
  title,
  description,
  format,
  sql: (n, c) => `avg(cast(${expr(n, c)} as double))`,
  rows,
  // An average is a sum over a count of the values present, both of which add up.
  rollup: {
    parts: { s: (n, c) => `sum(cast(${expr(n, c)} as double))`, n: (n, c) => `count(${expr(n, c)})` },
    combine: ({ total }) => `${total('s')} / nullif(${total('n')}, 0)`,
  },
});

export const dimension = (type: DimensionType, title: string, description: string, sql: SqlOf): DimensionDef => ({
  title,
  description,
  type,
  sql,
});

/** A column of the cube's own table. */
export const column = (type: DimensionType, title: string, description: string, name: string): DimensionDef =>
  dimension(type, title, description, (n) => `${n.f}.${name}`);

/** A date key column of the cube's own table, as a time dimension. */
export const dateKey = (title: string, description: string, name: string): DimensionDef =>
  dimension('time', title, description, (n) => `${n.f}.${name}`);
