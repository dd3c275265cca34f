import { once } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { spreadsheetSafe } from '../../engine/http/spreadsheet-safe.util';
import type ExcelJS from 'exceljs';

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export interface ExportColumn {
  key: string;
  title: string;
  type: 'string' | 'number' | 'boolean' | 'date';
  /** How the screens show a figure: an XLSX cell keeps the number and shows it so (a rate 0.278 as 27.8%). */
  format?: 'percent' | 'integer' | 'decimal' | 'hours' | 'days';
  /** A coded column's labels: an XLSX, read by people, shows them; a CSV, read by programs, keeps the codes. */
  values?: readonly { value: string; label: string }[];
}

/** An XLSX's second sheet, field and value per row, asked for once the data rows are written (given their count). */
export type ExportAbout = (rows: number) => [string, string | number][];

/** The name of the XLSX's second sheet; the first, 'Export', holds only the header row and the data. */
export const ABOUT_SHEET = 'About this export';

/**
 * How much one export writes before it gives the event loop a turn: 250 rows or 10 ms, whichever
 * comes first. Every other request waits while a file is being written, and waiting on a full
 * stream or on the next chunk of rows does not always let it in (a reader that keeps up, rows
 * already read): so /health/live and other tenants' requests wait a few milliseconds per export
 * running, whatever a row costs (an XLSX row costs several times a CSV row).
 */
const TURN_ROWS = 250;
const TURN_MS = 10;

/** Says when this export has held the event loop for its share, and gives it up. */
class Turns {
  private rows = 0;
  private since = performance.now();

  /** Counts a row written; true when the export should give a turn now. */
  due(): boolean {
    this.rows += 1;
    return this.rows >= TURN_ROWS || performance.now() - this.since >= TURN_MS;
  }

  async take(): Promise<void> {
    await nextTurn();
    this.rows = 0;
    this.since = performance.now();
  }
}

/**
 * Writes chunks of rows as CSV or XLSX to `out` as they come, waiting whenever `out` is full, so an
 * export of millions of rows holds one chunk in memory. Returns the number of data rows written.
 * `about` fills the XLSX's second sheet; a CSV stays data only (its reader would take a note for a row).
 * An XLSX shows a coded column's labels ('In progress'), as the screens do; a CSV keeps the codes.
 */
export async function writeExport(
  format: ExportFormat,
  columns: ExportColumn[],
  chunks: AsyncIterable<Record<string, unknown>[]>,
  out: Writable,
  about?: ExportAbout,
): Promise<number> {
  return format === 'csv' ? writeCsv(columns, chunks, out) : writeXlsx(columns, chunks, out, about);
}

/**
 * A CSV opens in Excel for most of the people who export one: it starts with a byte-order mark, without
 * which Excel reads UTF-8 as the machine's code page ('ZoÃ«' for 'Zoë'), and a text value that Excel
 * would run as a formula (=, +, -, @, a tab or a carriage return first: a learner named '=HYPERLINK(…)'
 * in the LMS) is written with a leading apostrophe, as OWASP advises, so it shows as the text it is.
 * Numbers, booleans and dates are never prefixed: a negative number stays a number.
 */
async function writeCsv(columns: ExportColumn[], chunks: AsyncIterable<Record<string, unknown>[]>, out: Writable): Promise<number> {
  const csv = stringify({ bom: true, header: true, columns: columns.map((c) => ({ key: c.key, header: c.title })), cast: { boolean: (v) => (v ? 'true' : 'false') } });
  csv.pipe(out);
  let rows = 0;
  const turns = new Turns();
  for await (const chunk of chunks) {
    for (const row of chunk) {
      if (!csv.write(columns.map((c) => csvValue(row[c.key], c.type)))) await once(csv, 'drain');
      rows += 1;
      if (turns.due()) await turns.take();
    }
  }
  csv.end();
  await once(out, 'finish');
  return rows;
}

function csvValue(value: unknown, type: ExportColumn['type']): unknown {
  if (typeof value === 'bigint') return value.toString();
  return type === 'string' ? spreadsheetSafe(value) : value;
}


/** Excel's number formats for the screens' figure formats: the cell holds the number, shown as the portal shows it. */
const NUMBER_FORMATS: Record<NonNullable<ExportColumn['format']>, string> = {
  percent: '0.0%',
  integer: '#,##0',
  decimal: '#,##0.00',
  hours: '#,##0.0',
  days: '#,##0.0',
};

/**
 * A date column's cells are Excel dates shown as the API and the CSV write them (2025-06-01), so they
 * sort, filter and group by month in Excel; a value with a time of day shows it too.
 */
const DATE_FORMAT = 'yyyy-mm-dd';
const DATE_TIME_FORMAT = 'yyyy-mm-dd hh:mm:ss';

/** Flushed to the zip stream every this many rows, so the sheet is never held whole. */
const XLSX_COMMIT_EVERY = 1000;

let excel: typeof ExcelJS | undefined;

/** exceljs (with the zip libraries under it, about 12 MiB resident) loads with the first XLSX export, not with the gateway. */
function exceljs(): typeof ExcelJS {
  excel ??= createRequire(__filename)('exceljs') as typeof ExcelJS;
  return excel;
}

async function writeXlsx(columns: ExportColumn[], chunks: AsyncIterable<Record<string, unknown>[]>, out: Writable, about?: ExportAbout): Promise<number> {
  // Inline strings (a shared-strings table would grow with the export); styles are one per figure format, whatever the rows.
  const workbook = new (exceljs().stream.xlsx.WorkbookWriter)({ stream: out, useSharedStrings: false, useStyles: true });
  const sheet = workbook.addWorksheet('Export');
  sheet.columns = columns.map((c) => {
    const numFmt = c.type === 'date' ? DATE_FORMAT : c.format ? NUMBER_FORMATS[c.format] : undefined;
    return { key: c.key, header: c.title, ...(numFmt ? { style: { numFmt } } : {}), ...(c.type === 'date' ? { width: 12 } : {}) };
  });
  const labels = columns.map((c) => (c.values?.length ? new Map<unknown, string>(c.values.map((v) => [v.value, v.label])) : undefined));
  let rows = 0;
  const turns = new Turns();
  for await (const chunk of chunks) {
    for (const row of chunk) {
      const added = sheet.addRow(columns.map((c, i) => xlsxValue(labels[i]?.get(row[c.key]) ?? row[c.key], c.type)));
      columns.forEach((c, i) => {
        if (c.type === 'date' && hasTimeOfDay(added.getCell(i + 1).value)) added.getCell(i + 1).numFmt = DATE_TIME_FORMAT;
      });
      added.commit();
      rows += 1;
      if (rows % XLSX_COMMIT_EVERY === 0 && out.writableNeedDrain) await once(out, 'drain');
      if (turns.due()) await turns.take();
    }
  }
  sheet.commit();
  if (about) {
    // Added once the data sheet is committed, so the zip streams it after the rows, never holding them.
    const aboutSheet = workbook.addWorksheet(ABOUT_SHEET);
    aboutSheet.columns = [
      { key: 'field', width: 24 },
      { key: 'value', width: 100 },
    ];
    for (const line of about(rows)) aboutSheet.addRow(line).commit();
    aboutSheet.commit();
  }
  await workbook.commit();
  return rows;
}

function xlsxValue(value: unknown, type: ExportColumn['type']): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (type === 'date') return excelDate(value);
  return value;
}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A date as a Date cell. Both drivers return dates as ISO text, which is a calendar day with no time
 * zone; as a Date at midnight UTC it is a whole day in Excel's serial numbering (exceljs counts from
 * the UTC time), and an Excel date has no time zone, so every reader sees the same day. Text that is
 * not an ISO date stays text.
 */
function excelDate(value: unknown): unknown {
  if (value instanceof Date) return value;
  if (typeof value !== 'string') return value;
  const day = ISO_DAY.exec(value);
  if (day) return new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])));
  if (!ISO_DATE_TIME.test(value)) return value;
  // Without an offset, the time is as the warehouse holds it (UTC); with one, converted to UTC.
  const parsed = new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value.replace(' ', 'T') : `${value.replace(' ', 'T')}Z`);
  return Number.isNaN(parsed.getTime()) ? value : parsed;
}

function hasTimeOfDay(value: unknown): boolean {
  return value instanceof Date && value.getTime() % 86_400_000 !== 0;
}

/** A file name for an export: letters, digits and dashes from what it is, and the data version. */
export function exportFileName(what: string, dataVersion: number, format: ExportFormat): string {
  const base = what.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'export';
  return `kineo-${base}-v${dataVersion}.${format}`;
}
