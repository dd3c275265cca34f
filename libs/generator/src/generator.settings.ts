import type { GenerateOptions, TimeFormat } from './generator.types';
import { startOfDay, YEAR } from './time.util';

export const MIN_USERS = 50;

/** Users are numbered from here, as in Totara where ids 1 and 2 are the guest and admin accounts. */
export const FIRST_USER_ID = 3;
/** Course id 1 is Totara's site course, which is not exported. */
export const FIRST_COURSE_ID = 2;
export const FIRST_JOB_ASSIGNMENT_ID = 1001;

export const NULL_DATE_VALUES = ['1970-01-01', '2147483647', '9999-12-31'] as const;

export interface Settings {
  dir: string;
  users: number;
  seed: number;
  years: number;
  /** as_of in Unix seconds. */
  asOf: number;
  /** The first second of the learning history (as_of - years). */
  historyStart: number;
  fiscalCalendar: boolean;
  fiscalYearStartMonth: number;
  timeFormat: TimeFormat;
}

export function resolveSettings(options: GenerateOptions, now: () => Date = () => new Date()): Settings {
  const users = options.users;
  if (!Number.isInteger(users) || users < MIN_USERS) {
    throw new RangeError(`users must be a whole number of at least ${MIN_USERS} (got ${users})`);
  }
  if (users > 50_000_000) throw new RangeError(`users must be at most 50,000,000 (got ${users})`);
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a whole number (got ${seed})`);
  const years = options.years ?? 3;
  if (!Number.isInteger(years) || years < 1 || years > 20) throw new RangeError(`years must be 1-20 (got ${years})`);
  const month = options.fiscalYearStartMonth ?? 7;
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new RangeError(`fiscalYearStartMonth must be 1-12 (got ${month})`);
  }
  const timeFormat = options.timeFormat ?? 'unix';
  if (!['unix', 'iso', 'mixed'].includes(timeFormat)) throw new RangeError(`timeFormat must be unix, iso or mixed (got ${timeFormat})`);
  const asOfDate = options.asOf ?? now();
  if (Number.isNaN(asOfDate.getTime())) throw new RangeError('asOf is not a valid date');
  const asOfSeconds = Math.floor(asOfDate.getTime() / 1000);
  const asOf = options.asOf ? asOfSeconds : startOfDay(asOfSeconds);
  return {
    dir: options.dir,
    users,
    seed,
    years,
    asOf,
    historyStart: asOf - years * YEAR,
    fiscalCalendar: options.fiscalCalendar ?? false,
    fiscalYearStartMonth: month,
    timeFormat,
  };
}
