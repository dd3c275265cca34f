import type { Cell, Column } from './analytics.types';

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
 * percentages, counts grouped, dates long.
 */
export function formatCell(value: Cell | undefined, column: Pick<Column, 'type' | 'format'> & { key?: string; values?: Column['values'] }, locale?: string): string {
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
  switch (column.format) {
    case 'percent':
      return numberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(n);
    case 'integer':
      return numberFormat(locale, { maximumFractionDigits: 0 }).format(n);
    case 'hours':
      return `${numberFormat(locale, { maximumFractionDigits: 1 }).format(n)} h`;
    case 'days':
      return `${numberFormat(locale, { maximumFractionDigits: 1 }).format(n)} d`;
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
