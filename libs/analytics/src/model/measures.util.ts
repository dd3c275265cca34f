import type { ColumnFormat } from '../analytics.types';
import type { DimensionDef, DimensionType, MeasureDef, SqlOf } from './model.types';

// One helper per kind of measure, so adding a measure to a cube is one line.

export const count = (title: string, description: string): MeasureDef => ({
  title,
  description,
  format: 'integer',
  sql: () => 'count(*)',
});

export const countWhere = (title: string, description: string, rows: SqlOf): MeasureDef => ({
  title,
  description,
  format: 'integer',
  sql: (n, c) => `count(case when ${rows(n, c)} then 1 end)`,
  rows,
});

/** Learners known to the LMS (the unknown member -1 is not a learner). */
export const distinctLearners = (description: string): MeasureDef => ({
  title: 'Learners',
  description,
  format: 'integer',
  sql: (n) => `count(distinct case when ${n.f}.user_key <> -1 then ${n.f}.user_key end)`,
});

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
});

export const sum = (title: string, description: string, format: ColumnFormat, expr: SqlOf): MeasureDef => ({
  title,
  description,
  format,
  sql: (n, c) => `coalesce(sum(${expr(n, c)}), 0)`,
});

export const average = (title: string, description: string, format: ColumnFormat, expr: SqlOf, rows?: SqlOf): MeasureDef => ({
  title,
  description,
  format,
  sql: (n, c) => `avg(cast(${expr(n, c)} as double))`,
  rows,
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
