import type { Row, SqlParam } from '@kineo/warehouse';
import { GRANULARITIES, type AnalyticsQuery, type Granularity } from './analytics.types';
import { grainOfDay } from './compiler/filters';
import { dateKeyOf } from './compiler/sql-context';

const DAY_MS = 86_400_000;

/**
 * The period of a time series that the data's as_of falls inside: its rows hold only part of it, so
 * a chart would read its low figure as a decline. Rows whose time column equals `value` are that period.
 */
export interface PartialPeriod {
  /** The result column key of the time dimension, '<dimension>.<granularity>'. */
  column: string;
  /** That column's value for the incomplete period, as the rows carry it (a date, a year, 'FY2025 Q3'). */
  value: string | number;
  /** The last day (ISO 'YYYY-MM-DD', UTC) the data covers, wholly or in part. */
  through: string;
}

/**
 * What every granularity calls the last day the data covers and the day after it, read from the
 * version's gold.dim_date (fiscal years and quarters come from the tenant's calendar, which only
 * the build knows). The same grain expressions the compiler groups on, so the values match the rows.
 */
export interface AsOfPeriods {
  through: string;
  /** The as_of is inside its day (not at midnight): the last day is itself incomplete. */
  partialDay: boolean;
  /** Granularity -> [value on the last day, value on the day after]; undefined for a day outside dim_date. */
  grains: Map<Granularity, [unknown, unknown]>;
}

/** The last day with data: as_of at midnight covers the day before; any later time covers part of its own day. */
function lastDay(asOf: string): { day: Date; partialDay: boolean } {
  const at = Date.parse(asOf);
  if (Number.isNaN(at)) throw new Error(`as_of ${JSON.stringify(asOf)} is not an ISO date-time`);
  const partialDay = at % DAY_MS !== 0;
  const day = new Date(Math.floor((at - 1) / DAY_MS) * DAY_MS);
  return { day, partialDay };
}

/** The statement `asOfPeriods` reads: dim_date's two rows around as_of, each granularity's value as a column. */
export function asOfPeriodsStatement(asOf: string, gold: (table: string) => string = (t) => `gold.${t}`): { sql: string; params: SqlParam[] } {
  const { day } = lastDay(asOf);
  const grains = GRANULARITIES.map((g, i) => `${grainOfDay('d', g).sql} as grain_${i}`).join(', ');
  return {
    sql: `select d.date_key, ${grains} from ${gold('dim_date')} d where d.date_key in (?, ?)`,
    params: [dateKeyOf(day), dateKeyOf(new Date(day.getTime() + DAY_MS))],
  };
}

/** `rows`: what asOfPeriodsStatement(asOf) returned. */
export function asOfPeriods(asOf: string, rows: readonly Row[]): AsOfPeriods {
  const { day, partialDay } = lastDay(asOf);
  const lastKey = dateKeyOf(day);
  const byKey = new Map(rows.map((r) => [Number(r.date_key), r]));
  const [last, next] = [byKey.get(lastKey), byKey.get(dateKeyOf(new Date(day.getTime() + DAY_MS)))];
  const grains = new Map<Granularity, [unknown, unknown]>(GRANULARITIES.map((g, i) => [g, [last?.[`grain_${i}`], next?.[`grain_${i}`]]]));
  return { through: day.toISOString().slice(0, 10), partialDay, grains };
}

/**
 * The incomplete period of `query`'s time series, or null: no granularity, or the data ends on its
 * period's last day (as_of at midnight starting the next one).
 */
export function partialPeriodOf(query: AnalyticsQuery, periods: AsOfPeriods): PartialPeriod | null {
  const time = query.timeDimension;
  if (!time?.granularity) return null;
  const [last, next] = periods.grains.get(time.granularity) ?? [];
  if (!isScalar(last)) return null;
  const inside = periods.partialDay || (isScalar(next) && String(next) === String(last));
  return inside ? { column: `${time.dimension}.${time.granularity}`, value: last, through: periods.through } : null;
}

const isScalar = (value: unknown): value is string | number => typeof value === 'string' || typeof value === 'number';
