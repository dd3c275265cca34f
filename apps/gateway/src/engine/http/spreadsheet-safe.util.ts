const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Text that a spreadsheet would run as a formula (=, +, -, @, a tab or a carriage return first: a
 * learner named '=HYPERLINK(…)' in the LMS) with an apostrophe first, as OWASP advises for CSV
 * files, so Excel shows it as the text it is; anything else as it is.
 */
export function spreadsheetSafe<T>(value: T): T | string {
  return typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : value;
}
