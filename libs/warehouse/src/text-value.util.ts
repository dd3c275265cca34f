/**
 * The value of a column the SQL selects as text (a schema, table or function name). Row values are
 * typed as anything a driver can return; a name that is not text means the query is not the one its
 * caller wrote, a bug to surface rather than a name to compare as "[object Object]".
 */
export function textValue(value: unknown, column: string): string {
  if (typeof value !== 'string') throw new Error(`expected text in the column ${column}, got ${value === null ? 'null' : typeof value}`);
  return value;
}
