import fs from 'node:fs';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** What a file brings to a load: its bytes, and its data rows as `countCsvRows` counts them. */
export interface MeasuredFile {
  bytes: number;
  rows: number;
}

/**
 * Data rows of a CSV file (records after the header), counted without parsing the values: a line
 * break inside quotes is part of a value, an empty trailing line is no row. A file in another
 * format (the xlsx fiscal calendar) counts 0: it is reference data, not learner rows.
 */
export async function countCsvRows(file: string): Promise<number> {
  if (!isCsv(file)) return 0;
  return (await measureCsvStream(file, fs.createReadStream(file))).rows;
}

/**
 * The bytes and data rows of a file named `name` as they stream by (a blob being downloaded), counted
 * as `countCsvRows` counts a file on disk, so a file read once where it is stored needs no local copy.
 */
export async function measureCsvStream(name: string, source: AsyncIterable<unknown>): Promise<MeasuredFile> {
  const csv = isCsv(name);
  let bytes = 0;
  let records = 0;
  let quoted = false;
  let lineHasContent = false;
  for await (const chunk of source) {
    const buffer = chunk as Uint8Array;
    bytes += buffer.length;
    if (!csv) continue;
    for (const byte of buffer) {
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
  return { bytes, rows: Math.max(0, records - 1) };
}

function isCsv(name: string): boolean {
  return /\.csv$/i.test(name);
}
