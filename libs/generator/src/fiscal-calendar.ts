import fs from 'node:fs/promises';
import path from 'node:path';
import { FISCAL_CALENDAR } from '@kineo/contract';
import { createRequire } from 'node:module';
import type ExcelJS from 'exceljs';
import { fixZipTimestamps } from './zip.util';

export const FISCAL_CALENDAR_FIRST_DAY = '2012-01-01';
export const FISCAL_CALENDAR_LAST_DAY = '2036-12-31';

export interface FiscalDay {
  fiscalYear: number;
  /** 1-4 */
  fiscalQuarter: number;
  /** 1-12, period 1 being the start month. */
  fiscalPeriod: number;
}

/**
 * A fiscal year is named by the calendar year in which it ends: with a July start, 2024-07-01 .. 2025-06-30
 * is FY2025. With a January start the fiscal year is the calendar year.
 */
export function fiscalDay(year: number, month: number, startMonth: number): FiscalDay {
  const fiscalPeriod = ((month - startMonth + 12) % 12) + 1;
  const fiscalYear = startMonth !== 1 && month >= startMonth ? year + 1 : year;
  return { fiscalYear, fiscalQuarter: Math.ceil(fiscalPeriod / 3), fiscalPeriod };
}

/**
 * dimdates.xlsx: one sheet, one row per day from 2012 to 2036. Dates are real Excel dates (midnight UTC).
 * The workbook's own timestamps are pinned to `stamp` so the same options give the same bytes.
 */
export async function writeFiscalCalendar(dir: string, startMonth: number, stamp: Date): Promise<{ file: string; rows: number; bytes: number }> {
  const columns = FISCAL_CALENDAR.columns.map((c) => c.name);
  if (columns.join(',') !== 'date,fiscal_year,fiscal_quarter,fiscal_period') {
    throw new Error(`The contract's dimdates columns are ${columns.join(',')}, not the ones the generator writes`);
  }
  // exceljs loads with the first workbook written, not with every command that imports the generator.
  const { Workbook } = createRequire(__filename)('exceljs') as typeof ExcelJS;
  const workbook = new Workbook();
  workbook.creator = 'kineo generate';
  workbook.created = stamp;
  workbook.modified = stamp;
  const sheet = workbook.addWorksheet(FISCAL_CALENDAR.name);
  sheet.columns = [
    { header: 'date', key: 'date', width: 12, style: { numFmt: 'yyyy-mm-dd' } },
    { header: 'fiscal_year', key: 'fiscal_year', width: 12 },
    { header: 'fiscal_quarter', key: 'fiscal_quarter', width: 14 },
    { header: 'fiscal_period', key: 'fiscal_period', width: 13 },
  ];
  let rows = 0;
  const last = Date.parse(`${FISCAL_CALENDAR_LAST_DAY}T00:00:00Z`);
  for (let t = Date.parse(`${FISCAL_CALENDAR_FIRST_DAY}T00:00:00Z`); t <= last; t += 86_400_000) {
    const date = new Date(t);
    const f = fiscalDay(date.getUTCFullYear(), date.getUTCMonth() + 1, startMonth);
    sheet.addRow([date, f.fiscalYear, f.fiscalQuarter, f.fiscalPeriod]);
    rows++;
  }
  const buffer = Buffer.from(await workbook.xlsx.writeBuffer());
  fixZipTimestamps(buffer, stamp);
  const file = `${FISCAL_CALENDAR.name}.xlsx`;
  await fs.writeFile(path.join(dir, file), buffer);
  return { file, rows, bytes: buffer.length };
}
