import { InvalidArgumentError } from 'commander';

/** Parses an --as-of style option: an ISO-8601 date or date-time. */
export function isoDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('an ISO-8601 date or date-time, e.g. 2025-06-30');
  return date;
}
