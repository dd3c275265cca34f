import fs from 'node:fs';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Data rows of a CSV file (records after the header), counted without parsing the values: a line
 * break inside quotes is part of a value, an empty trailing line is no row. A file in another
 * format (the xlsx fiscal calendar) counts 0: it is reference data, not learner rows.
 */
export async function countCsvRows(file: string): Promise<number> {
  if (!/\.csv$/i.test(file)) return 0;
  let records = 0;
  let quoted = false;
  let lineHasContent = false;
  for await (const chunk of fs.createReadStream(file)) {
    for (const byte of chunk as Buffer) {
      if (byte === QUOTE) {
        quoted = !quoted;
        lineHasContent = true;
      } else if (byte === LF && !quoted) {
        if (lineHasContent) records++;
        lineHasContent = false;
      } else if (byte !== CR) {
        lineHasContent = true;
      }
    }
  }
  if (lineHasContent) records++;
  return Math.max(0, records - 1);
}
