export const MINUTE = 60;
export const HOUR = 3600;
export const DAY = 86400;
export const YEAR = 365 * DAY;

/** ISO-8601: a date alone for midnight UTC values (the LMS's day-granular fields), else a UTC date-time. */
export function isoTime(seconds: number): string {
  const text = new Date(seconds * 1000).toISOString();
  return seconds % DAY === 0 ? text.slice(0, 10) : `${text.slice(0, 19)}Z`;
}

export function startOfDay(seconds: number): number {
  return seconds - (((seconds % DAY) + DAY) % DAY);
}

/** A Totara period such as '1 year', '6 month' or '30 day'. */
export interface Period {
  text: string;
  amount: number;
  unit: 'day' | 'month' | 'year';
  /** Rough length in seconds, for choosing dates before the exact arithmetic. */
  approxSeconds: number;
}

export function period(text: string): Period {
  const match = /^(\d+) (day|month|year)$/.exec(text);
  if (!match) throw new Error(`Not a period: ${text}`);
  const amount = Number(match[1]);
  const unit = match[2] as Period['unit'];
  const unitSeconds = unit === 'day' ? DAY : unit === 'month' ? 30.44 * DAY : 365.25 * DAY;
  return { text, amount, unit, approxSeconds: Math.round(amount * unitSeconds) };
}

/** Calendar arithmetic in UTC (31 Jan + 1 month = 28/29 Feb, as Totara's strtotime-free code does). */
export function addPeriod(seconds: number, p: Period, sign: 1 | -1 = 1): number {
  if (p.unit === 'day') return seconds + sign * p.amount * DAY;
  const d = new Date(seconds * 1000);
  const months = sign * p.amount * (p.unit === 'year' ? 12 : 1);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay));
  return Math.floor(d.getTime() / 1000);
}
