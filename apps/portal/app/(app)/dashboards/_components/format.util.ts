import type { Cell, Column } from './analytics.types';
import { EARLIEST, LATEST } from './dashboard-url.util';

const cache = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: string | undefined, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let format = cache.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    cache.set(key, format);
  }
  return format;
}

/**
 * A value as a person reads it, in the given locale: a code by its label ('In progress'), rates as
 * percentages, counts grouped, dates long. Rates, hours and days keep one decimal ('40.0%' above
 * '51.9%'), so a column's figures line up and read alike; an axis tick drops a zero decimal ('20%').
 */
export function formatCell(
  value: Cell | undefined,
  column: Pick<Column, 'type' | 'format'> & { key?: string; values?: Column['values'] },
  locale?: string,
  purpose: 'figure' | 'axis' = 'figure',
): string {
  if (value === null || value === undefined || value === '') return '—';
  const coded = column.values?.find((v) => v.value === value);
  if (coded) return coded.label;
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (column.type === 'date' && typeof value === 'string') {
    const date = new Date(`${value.slice(0, 10)}T00:00:00Z`);
    if (Number.isNaN(date.getTime())) return value;
    // A time dimension grouped by month or year is keyed '<dimension>.<grain>'; its first day stands for the period.
    const grain = column.key?.slice(column.key.lastIndexOf('.') + 1);
    const options: Intl.DateTimeFormatOptions =
      grain === 'month' ? { month: 'short', year: 'numeric' } : grain === 'year' ? { year: 'numeric' } : { dateStyle: 'medium' };
    return new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' }).format(date);
  }
  const n = typeof value === 'number' ? value : Number(value);
  if (column.type !== 'number' || !Number.isFinite(n)) return String(value);
  // Identifiers and years are names, not quantities: no thousands separator.
  if (!column.format && /(Id|Key|Year)$/.test(column.key ?? '')) return String(value);
  const oneDecimal: Intl.NumberFormatOptions = { minimumFractionDigits: purpose === 'axis' ? 0 : 1, maximumFractionDigits: 1 };
  switch (column.format) {
    case 'percent':
      return numberFormat(locale, { style: 'percent', ...oneDecimal }).format(n);
    case 'integer':
      return numberFormat(locale, { maximumFractionDigits: 0 }).format(n);
    case 'hours':
      return `${numberFormat(locale, oneDecimal).format(n)} h`;
    case 'days':
      return `${numberFormat(locale, oneDecimal).format(n)} d`;
    default:
      return numberFormat(locale, { maximumFractionDigits: 2 }).format(n);
  }
}

/**
 * A part's share of a whole as a person reads it beside a pie's slice: whole percent, "<1%" for a
 * slice too thin to round to one (never a misleading "0%"), a dash when there is no whole.
 */
export function formatShare(part: number, whole: number, locale?: string): string {
  if (!(whole > 0) || !Number.isFinite(part)) return '—';
  const percent = numberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
  const share = part / whole;
  return share > 0 && share < 0.005 ? `<${percent.format(0.01)}` : percent.format(share);
}

export function formatAsOf(iso: string, locale?: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(date);
}

/** The days a period means, as a person reads them: '1 Mar 2026 – 31 Mar 2026', 'From 1 Mar 2026', 'Up to 31 Mar 2026'. */
export function formatPeriod([from, to]: readonly [string, string], locale?: string): string {
  const days = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const said = (d: string) => days.format(new Date(`${d}T00:00:00Z`));
  if (from === EARLIEST) return `Up to ${said(to)}`;
  if (to === LATEST) return `From ${said(from)}`;
  return `${said(from)} – ${said(to)}`;
}

/** A time grain as a sentence names it ('fiscal year'); a menu capitalises it. */
export const PERIOD_NAMES: Record<string, string> = {
  day: 'day',
  week: 'week',
  month: 'month',
  quarter: 'quarter',
  year: 'year',
  fiscalYear: 'fiscal year',
  fiscalQuarter: 'fiscal quarter',
};
