import type { AnalyticsFilterInput, Reach } from './analytics.types';

/**
 * A dashboard's view lives in its URL, so a link reproduces it: each filter is a parameter named by
 * its member (`Learner.organisationName=Nursing`, repeated for several values; `Learner.organisationTree=/5/`
 * for organisation 5 and everything below it; a period's member takes a preset, `CourseProgress.completedDate=this-fiscal-year`,
 * or a range of days, `2026-01-01..2026-03-31`, either end open), `inactive=include`
 * drops the default active-learners filter, and `reach=direct` narrows a manager to direct reports.
 */
export const INACTIVE_PARAM = 'inactive';
export const REACH_PARAM = 'reach';
export const ACTIVE_MEMBER = 'Learner.isActive';
/** "Organisation and below": the parameter's value is the organisation's id as a path segment, `/5/`. */
export const TREE_MEMBER = 'Learner.organisationTree';

/** A member of a dashboard's period (a time dimension): 'CourseProgress.completedDate', 'LearningTime.date'. */
export const isDateMember = (member: string) => /\.(\w*Date|date)$/.test(member);

/**
 * What a period's URL value may be besides a custom range 'YYYY-MM-DD..YYYY-MM-DD' (either end may be
 * left open), with a caption of the days each keeps. The last and next N days are N days, today one
 * of them; the measures "Due in 30 days" and "Expiring in 30/60/90 days" count as many days from the data's day
 * (the build's), the same days when the data is as of today.
 */
export const PERIOD_PRESETS = [
  { id: 'last-30-days', label: 'Last 30 days', caption: 'Today and the 29 days before it' },
  { id: 'last-90-days', label: 'Last 90 days', caption: 'Today and the 89 days before it' },
  { id: 'last-12-months', label: 'Last 12 months', caption: 'From the day after this date a year ago to today' },
  { id: 'next-30-days', label: 'Next 30 days', caption: 'Today and the 29 days after it ("Due in 30 days" and "Expiring in 30 days" count 30 days from the data\'s day)' },
  { id: 'next-60-days', label: 'Next 60 days', caption: 'Today and the 59 days after it ("Expiring in 60 days" counts 60 days from the data\'s day)' },
  { id: 'next-90-days', label: 'Next 90 days', caption: 'Today and the 89 days after it ("Expiring in 90 days" counts 90 days from the data\'s day)' },
  { id: 'this-month', label: 'This month', caption: 'The calendar month of today' },
  { id: 'last-month', label: 'Last month', caption: 'The calendar month before this one' },
  { id: 'this-fiscal-year', label: 'This fiscal year', caption: "The organisation's fiscal year holding today" },
  { id: 'last-fiscal-year', label: 'Last fiscal year', caption: "The organisation's fiscal year before this one" },
  { id: 'this-year', label: 'This calendar year', caption: 'January to December of this year' },
  { id: 'last-year', label: 'Last calendar year', caption: 'January to December of last year' },
] as const;

/** What "today" and "fiscal year" mean for the periods in a URL: the day in the browser, the organisation's start month. */
export interface PeriodContext {
  /** 'YYYY-MM-DD'. */
  today: string;
  /** 1-12. */
  fiscalYearStartMonth: number;
}

/** Open ends of a custom range: the dates of the LMS's data lie between them. */
export const EARLIEST = '1900-01-01';
export const LATEST = '9999-12-31';
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

const iso = (d: Date) => d.toISOString().slice(0, 10);
/** A calendar day as UTC midnight; a day or month out of range rolls over (day 0 is the last of the month before). */
const day = (y: number, m: number, d: number) => new Date(Date.UTC(y, m, d));

/** A real calendar day 'YYYY-MM-DD' (not 2026-02-30). */
export function isCalendarDay(value: string): boolean {
  if (!ISO_DAY.test(value)) return false;
  const [y, m, d] = value.split('-').map(Number);
  return iso(day(y, m - 1, d)) === value;
}

/**
 * The first and last day a period's URL value means, both included; null for a value that is no
 * period (it is then not applied, and the control shows "Any time").
 */
export function periodRange(value: string, context: PeriodContext): [string, string] | null {
  const custom = /^(\d{4}-\d{2}-\d{2})?\.\.(\d{4}-\d{2}-\d{2})?$/.exec(value);
  if (custom) {
    const [from, to] = [custom[1] ?? EARLIEST, custom[2] ?? LATEST];
    if (!custom[1] && !custom[2]) return null;
    return isCalendarDay(from) && isCalendarDay(to) && from <= to ? [from, to] : null;
  }
  if (!isCalendarDay(context.today)) return null;
  const [y, m, d] = context.today.split('-').map(Number) as [number, number, number];
  const month = m - 1;
  // The fiscal year holding today starts in the start month of this calendar year or the one before.
  const start = context.fiscalYearStartMonth - 1;
  const fiscalYear = month >= start ? y : y - 1;
  switch (value) {
    // N days, today one of them, before or after it (the measures' "in the next 30 days" too).
    case 'last-30-days':
      return [iso(day(y, month, d - 29)), context.today];
    case 'last-90-days':
      return [iso(day(y, month, d - 89)), context.today];
    case 'last-12-months': {
      // From the day after this date a year ago (29 Feb counts from 1 Mar).
      const yearAgo = Math.min(d, day(y - 1, month + 1, 0).getUTCDate());
      return [iso(day(y - 1, month, yearAgo + 1)), context.today];
    }
    case 'next-30-days':
      return [context.today, iso(day(y, month, d + 29))];
    case 'next-60-days':
      return [context.today, iso(day(y, month, d + 59))];
    case 'next-90-days':
      return [context.today, iso(day(y, month, d + 89))];
    case 'this-month':
      return [iso(day(y, month, 1)), iso(day(y, month + 1, 0))];
    case 'last-month':
      return [iso(day(y, month - 1, 1)), iso(day(y, month, 0))];
    case 'this-fiscal-year':
      return [iso(day(fiscalYear, start, 1)), iso(day(fiscalYear + 1, start, 0))];
    case 'last-fiscal-year':
      return [iso(day(fiscalYear - 1, start, 1)), iso(day(fiscalYear, start, 0))];
    case 'this-year':
      return [`${y}-01-01`, `${y}-12-31`];
    case 'last-year':
      return [`${y - 1}-01-01`, `${y - 1}-12-31`];
    default:
      return null;
  }
}

/** Today in the browser, as 'YYYY-MM-DD'. */
export function localToday(now = new Date()): string {
  return iso(day(now.getFullYear(), now.getMonth(), now.getDate()));
}

export function filtersFromParams(params: URLSearchParams, context: PeriodContext): AnalyticsFilterInput[] {
  const byMember = new Map<string, string[]>();
  for (const [key, value] of params) {
    if (!key.includes('.') || !value) continue;
    byMember.set(key, [...(byMember.get(key) ?? []), value]);
  }
  const filters: AnalyticsFilterInput[] = [];
  for (const [member, values] of byMember) {
    if (isDateMember(member)) {
      // A period: its first and last day, both included; a value that is no period is left out.
      const range = periodRange(values[0], context);
      if (range) filters.push({ member, operator: 'inDateRange', values: range });
      continue;
    }
    // A subtree ('/5/') is every organisation whose path runs through it: the path contains it.
    filters.push({ member, operator: member === TREE_MEMBER ? 'contains' : 'equals', values });
  }
  // Learner.isActive is never null, so "set" keeps everyone: the default active-only filter is replaced.
  if (params.get(INACTIVE_PARAM) === 'include') filters.push({ member: ACTIVE_MEMBER, operator: 'set' });
  return filters;
}

export function reachFromParams(params: URLSearchParams): Reach {
  return params.get(REACH_PARAM) === 'direct' ? 'direct' : 'all';
}

/** A parameter's new value: one, several (the parameter repeated), or none (removed). */
export type ParamValue = string | readonly string[] | null;

/** The same view with one parameter set (or removed when empty); a filter's values are the parameter repeated. */
export function withParam(params: URLSearchParams, key: string, value: ParamValue): URLSearchParams {
  return withParams(params, [[key, value]]);
}

/** The same view with several parameters set at once (a period sets each of its members). */
export function withParams(params: URLSearchParams, changes: readonly (readonly [string, ParamValue])[]): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [key, value] of changes) {
    next.delete(key);
    for (const one of typeof value === 'string' ? [value] : (value ?? [])) if (one) next.append(key, one);
  }
  return next;
}

/** Only the parameters that shape the dashboard (filters, inactive, reach): what a drill link carries. */
export function viewParams(params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams();
  for (const [key, value] of params) if (key.includes('.') || key === INACTIVE_PARAM || key === REACH_PARAM) next.append(key, value);
  return next;
}

export function hrefWith(pathname: string, params: URLSearchParams): string {
  const query = params.toString();
  return query ? `${pathname}?${query}` : pathname;
}
