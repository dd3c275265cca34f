import type { Row, SqlParam } from '@kineo/warehouse';
import { GRANULARITIES, type AnalyticsQuery } from './analytics.types';
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
  /** The last day (ISO 'YYYY-MM-DD', UTC) the series covers, wholly or in part. */
  through: string;
  /**
   * Why the period is cut short: the data ends inside it (`asOf`: the month to date), or the range
   * the query asks for does (`range`: "Completed" to 15 June).
   */
  reason: 'asOf' | 'range';
}

/**
 * The first period of a time series whose range starts after that period's first day ("Last 12
 * months" from 8 December: December holds 24 of its days), so a chart would read its low figure as
 * a rise after it. Rows whose time column equals `value` are that period.
 */
export interface PartialStart {
  column: string;
  value: string | number;
  /** The first day (ISO 'YYYY-MM-DD') of the range, inside the period. */
  from: string;
}

/** The periods at either end of a time series that hold only part of their days. */
export interface SeriesEdges {
  partialPeriod: PartialPeriod | null;
  partialStart: PartialStart | null;
}

/** The last day with data: as_of at midnight covers the day before; any later time covers part of its own day. */
function lastDay(asOf: string): { day: Date; partialDay: boolean } {
  const at = Date.parse(asOf);
  if (Number.isNaN(at)) throw new Error(`as_of ${JSON.stringify(asOf)} is not an ISO date-time`);
  const partialDay = at % DAY_MS !== 0;
  const day = new Date(Math.floor((at - 1) / DAY_MS) * DAY_MS);
  return { day, partialDay };
}

const isScalar = (value: unknown): value is string | number => typeof value === 'string' || typeof value === 'number';

const isoDay = (day: Date) => day.toISOString().slice(0, 10);
const dayOf = (iso: string) => new Date(`${iso}T00:00:00.000Z`);
const shifted = (iso: string, days: number) => isoDay(new Date(dayOf(iso).getTime() + days * DAY_MS));

/**
 * The days a time series' range asks for, both included, from its time dimension's `dateRange` and
 * its filters on that dimension (`inDateRange`; `afterDate` and `beforeDate`, which leave their own
 * day out); several narrow it. Undefined ends are open.
 */
export function seriesRange(query: AnalyticsQuery): { from?: string; to?: string } {
  const time = query.timeDimension;
  if (!time) return {};
  const ends: { from?: string; to?: string }[] = [];
  if (time.dateRange) ends.push({ from: time.dateRange[0], to: time.dateRange[1] });
  for (const f of query.filters ?? []) {
    if (f.member !== time.dimension) continue;
    const [a, b] = (f.values ?? []).map(String);
    if (f.operator === 'inDateRange' && a && b) ends.push({ from: a, to: b });
    else if (f.operator === 'afterDate' && a) ends.push({ from: shifted(a, 1) });
    else if (f.operator === 'beforeDate' && a) ends.push({ to: shifted(a, -1) });
  }
  const valid = (d: string | undefined) => (d && /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(dayOf(d).getTime()) ? d : undefined);
  const froms = ends.map((e) => valid(e.from)).filter((d): d is string => d !== undefined).sort();
  const tos = ends.map((e) => valid(e.to)).filter((d): d is string => d !== undefined).sort();
  return { ...(froms.length ? { from: froms[froms.length - 1] } : {}), ...(tos.length ? { to: tos[0] } : {}) };
}

/**
 * The days whose periods decide `seriesEdges` for `query` on data as of `asOf`: the data's last day
 * and the next, the range's last day and the next when it ends earlier, the day before the range's
 * first and that day. ISO days, without repeats.
 */
export function edgeDays(query: AnalyticsQuery, asOf: string): string[] {
  if (!query.timeDimension?.granularity) return [];
  const last = isoDay(lastDay(asOf).day);
  const { from, to } = seriesRange(query);
  const days = [last, shifted(last, 1)];
  if (to && to < last) days.push(to, shifted(to, 1));
  if (from && from <= last) days.push(shifted(from, -1), from);
  return [...new Set(days)];
}

/** The statement `seriesEdges` reads: dim_date's rows of `days`, each granularity's value as a column. */
export function periodsOfDaysStatement(days: readonly string[], gold: (table: string) => string = (t) => `gold.${t}`): { sql: string; params: SqlParam[] } {
  const grains = GRANULARITIES.map((g, i) => `${grainOfDay('d', g).sql} as grain_${i}`).join(', ');
  const keys = days.map((d) => dateKeyOf(dayOf(d)));
  return { sql: `select d.date_key, ${grains} from ${gold('dim_date')} d where d.date_key in (${keys.map(() => '?').join(', ')})`, params: keys };
}

/** A granularity's value on each day read by periodsOfDaysStatement, keyed by ISO day. */
export type DayPeriods = ReadonlyMap<string, Row>;

export function dayPeriods(rows: readonly Row[]): Map<string, Row> {
  return new Map(
    rows.map((r) => {
      const key = Number(r.date_key);
      const iso = `${String(Math.floor(key / 10000)).padStart(4, '0')}-${String(Math.floor(key / 100) % 100).padStart(2, '0')}-${String(key % 100).padStart(2, '0')}`;
      return [iso, r];
    }),
  );
}

/**
 * The periods at the ends of `query`'s time series that hold only part of their days: the last one
 * when the data (as of `asOf`) or the asked range ends inside it, whichever ends first; the first one
 * when the asked range starts inside it. `periods`: dim_date's rows of at least `edgeDays(query, asOf)`.
 * A day outside dim_date marks nothing.
 */
export function seriesEdges(query: AnalyticsQuery, asOf: string, periods: DayPeriods): SeriesEdges {
  const time = query.timeDimension;
  if (!time?.granularity) return { partialPeriod: null, partialStart: null };
  const index = GRANULARITIES.indexOf(time.granularity);
  const grain = (day: string): unknown => periods.get(day)?.[`grain_${index}`];
  const same = (a: string, b: string) => isScalar(grain(a)) && isScalar(grain(b)) && String(grain(a)) === String(grain(b));
  const column = `${time.dimension}.${time.granularity}`;
  const { day, partialDay } = lastDay(asOf);
  const last = isoDay(day);
  const { from, to } = seriesRange(query);

  let partialPeriod: PartialPeriod | null = null;
  if (to && to < last) {
    if (same(to, shifted(to, 1))) partialPeriod = { column, value: grain(to) as string | number, through: to, reason: 'range' };
  } else if (isScalar(grain(last)) && (partialDay || same(last, shifted(last, 1)))) {
    partialPeriod = { column, value: grain(last) as string | number, through: last, reason: 'asOf' };
  }
  const partialStart: PartialStart | null =
    from && from <= last && same(shifted(from, -1), from) ? { column, value: grain(from) as string | number, from } : null;
  return { partialPeriod, partialStart };
}
