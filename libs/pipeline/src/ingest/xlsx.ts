import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { csvField, FISCAL_CALENDAR } from '@kineo/contract';
import { LoadRejectedError } from './errors';

/** More rows than any fiscal calendar has: it has one row a day, and 100,000 days are 273 years. */
export const FISCAL_CALENDAR_MAX_ROWS = 100_000;

/**
 * The most a part of the workbook may hold once unzipped: a sheet is read as a stream (only up to
 * its row cap), the other parts (shared strings, styles, the workbook's list of sheets) whole. A
 * fiscal calendar's sheet of 100,000 rows is some tens of MB; its other parts a few MB at most.
 */
const MAX_SHEET_BYTES = 512 << 20;
const MAX_PART_BYTES = 32 << 20;

/** The parts of exceljs's streaming reader read here (4.4.0), each given the part's stream. */
interface StreamingReader {
  sharedStrings?: unknown[];
  model?: { sheets?: { id: number; name: string; rId: string }[] };
  workbookRels?: { Id: string; Target: string }[];
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncIterable<unknown>;
  _parseWorksheet(entry: Readable, sheetNo: string): Generator<{ eventType: string; value: AsyncIterable<SheetRow> }, void>;
}

interface SheetRow {
  number: number;
  values: unknown[];
}

interface ZipEntry {
  path: string;
  uncompressedSize: number;
  stream(): Readable;
}

/** exceljs and the zip libraries under it (about 400 modules) load with the first workbook, not with every process that imports the pipeline. */
function libraries(): { WorkbookReader: new (input: unknown, options: object) => StreamingReader; unzipper: { Open: { file(p: string): Promise<{ files: ZipEntry[] }> } } } {
  const load = createRequire(__filename);
  const exceljs = load('exceljs') as { stream: { xlsx: { WorkbookReader: new (input: unknown, options: object) => StreamingReader } } };
  // The zip library exceljs reads with, from where exceljs finds it.
  const unzipper = createRequire(load.resolve('exceljs'))('unzipper') as { Open: { file(p: string): Promise<{ files: ZipEntry[] }> } };
  return { WorkbookReader: exceljs.stream.xlsx.WorkbookReader, unzipper };
}

/**
 * Turns the customer's fiscal calendar workbook into a CSV beside it, so it is loaded (and
 * quarantined row by row) exactly like every other file, each row on the line of its row in the
 * sheet (a cell holding a line break would put the rows after it further down). The first sheet
 * with the expected columns is used.
 *
 * The workbook is read as a stream, the CSV written as it goes: a workbook is a zip, and a small
 * upload can hold a sheet of hundreds of MB, which read whole takes the worker's memory (every
 * tenant's work). A sheet with more than `maxRows` rows under its header is refused at the first
 * row past them, and so is a part of the workbook larger than a calendar's can be, before it is read.
 */
export async function fiscalCalendarToCsv(xlsxPath: string, csvPath: string, fileName: string, maxRows = FISCAL_CALENDAR_MAX_ROWS): Promise<void> {
  const refuse = (problem: string) => new LoadRejectedError([{ file: fileName, problem }]);
  const { WorkbookReader, unzipper } = libraries();
  let entries: Map<string, ZipEntry>;
  try {
    entries = new Map((await unzipper.Open.file(xlsxPath)).files.map((f) => [f.path.replace(/^\//, ''), f]));
  } catch (error) {
    throw refuse(`the workbook cannot be read (${(error as Error).message})`);
  }
  const tooLarge = (entry: ZipEntry, max: number) => refuse(
    `the workbook's part ${entry.path} is ${megabytes(entry.uncompressedSize)} unzipped, more than a fiscal calendar's can be (${megabytes(max)}): save the calendar alone in a new workbook, or as dimdates.csv`,
  );
  // A part's stream, which fails once more than `max` bytes came out of it (its size in the zip can be false).
  const open = (entry: ZipEntry, max: number): Readable => {
    if (entry.uncompressedSize > max) throw tooLarge(entry, max);
    let read = 0;
    const source = entry.stream();
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        read += chunk.length;
        done(read > max ? tooLarge({ ...entry, uncompressedSize: read }, max) : null, chunk);
      },
    });
    source.on('error', (error) => counted.destroy(error));
    // Read no further than the reader did (a sheet left at its header, or at the row cap).
    counted.on('close', () => source.destroy());
    return source.pipe(counted);
  };

  const reader = new WorkbookReader(undefined, { worksheets: 'emit', sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', entries: 'ignore' });
  const expected = FISCAL_CALENDAR.columns.map((c) => c.name);
  try {
    const workbook = entries.get('xl/workbook.xml');
    const rels = entries.get('xl/_rels/workbook.xml.rels');
    if (!workbook || !rels) throw refuse('the workbook cannot be read (it has no list of sheets: is it an Excel workbook saved as .xlsx?)');
    await reader._parseRels(open(rels, MAX_PART_BYTES));
    await reader._parseWorkbook(open(workbook, MAX_PART_BYTES));
    const styles = entries.get('xl/styles.xml');
    if (styles) await reader._parseStyles(open(styles, MAX_PART_BYTES));
    const sharedStrings = entries.get('xl/sharedStrings.xml');
    if (sharedStrings) for await (const _ of reader._parseSharedStrings(open(sharedStrings, MAX_PART_BYTES))) void _;
    reader.sharedStrings ??= [];

    // The sheets in the order of their tabs.
    for (const sheet of reader.model?.sheets ?? []) {
      const target = reader.workbookRels?.find((rel) => rel.Id === sheet.rId)?.Target;
      const part = target === undefined ? undefined : path.posix.join('xl', target).replace(/^\/?xl\/xl\//, 'xl/').replace(/^\//, '');
      const entry = part === undefined ? undefined : entries.get(part);
      if (!entry) continue;
      const stream = open(entry, MAX_SHEET_BYTES);
      try {
        const emitted = reader._parseWorksheet(stream, /sheet(\d+)\.xml$/.exec(entry.path)?.[1] ?? '0').next();
        if (!emitted.done && (await sheetToCsv(emitted.value.value, { name: sheet.name, expected, csvPath, maxRows, fileName }))) return;
      } finally {
        stream.destroy();
      }
    }
  } catch (error) {
    // A refused workbook leaves no part of a CSV beside it.
    fs.rmSync(csvPath, { force: true });
    if (error instanceof LoadRejectedError) throw error;
    throw refuse(`the workbook cannot be read (${(error as Error).message})`);
  }
  throw new LoadRejectedError([
    { file: fileName, problem: 'no sheet has the fiscal calendar columns in its first row', expectedColumns: expected },
  ]);
}

/**
 * Writes a sheet's rows as CSV when its first row has the calendar's columns (true), else reads no
 * further (false). Rows are written as they are read, a row missing from the sheet (never written,
 * or blank) as a blank line, which the loaders skip but count, so a row's line is its row of the
 * sheet. The first row with values past `maxRows` under the header ends the read: refused.
 */
async function sheetToCsv(
  rows: AsyncIterable<SheetRow>,
  { name, expected, csvPath, maxRows, fileName }: { name: string; expected: string[]; csvPath: string; maxRows: number; fileName: string },
): Promise<boolean> {
  let header: string[] | undefined;
  let out: fs.WriteStream | undefined;
  const write = (text: string) => (out!.write(text) ? undefined : new Promise<void>((r) => out!.once('drain', () => r())));
  let line = 1;
  try {
    for await (const row of rows) {
      const values = (row.values ?? []).slice(1);
      const blank = values.every((v) => v === null || v === undefined || v === '');
      // A row without its number (optional in the file) follows the one before.
      const number = Number.isInteger(row.number) ? row.number : line + (header ? 1 : 0);
      if (!header) {
        if (number !== 1) return false;
        header = values.map((v) => cellText(v).trim().toLowerCase());
        if (!expected.every((name) => header!.includes(name))) return false;
        out = fs.createWriteStream(csvPath);
        await write(header.map(csvField).join(',') + '\n');
        continue;
      }
      if (blank) continue;
      if (number - 1 > maxRows) {
        throw new LoadRejectedError([{
          file: fileName,
          problem: `the sheet ${JSON.stringify(name)} has more than ${maxRows.toLocaleString('en-GB')} rows; a fiscal calendar has one row per day ` +
            `(${maxRows.toLocaleString('en-GB')} days are over 270 years). Keep only the calendar in the sheet, and load it again`,
        }]);
      }
      for (; line < number - 1; line++) await write('\n');
      await write(header.map((_, i) => csvField(cellText(values[i]))).join(',') + '\n');
      line = number;
    }
    if (!header) return false;
    return true;
  } finally {
    if (out) await new Promise<void>((resolve, reject) => out!.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

function megabytes(bytes: number): string {
  return `${Math.ceil(bytes / (1 << 20)).toLocaleString('en-GB')} MB`;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object' && 'result' in value) return cellText(value.result);
  if (typeof value === 'object' && 'text' in value) return cellText(value.text);
  return typeof value === 'object' ? JSON.stringify(value) : (value as string | number | bigint | boolean).toString();
}
