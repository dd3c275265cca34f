import fs from 'node:fs';
import { createRequire } from 'node:module';
import type ExcelJS from 'exceljs';
import { csvField, FISCAL_CALENDAR } from '@kineo/contract';
import { LoadRejectedError } from './errors';

/** exceljs and the zip libraries under it (about 400 modules) load with the first workbook, not with every process that imports the pipeline. */
function exceljs(): typeof ExcelJS {
  return createRequire(__filename)('exceljs') as typeof ExcelJS;
}

/**
 * Turns the customer's fiscal calendar workbook into a CSV beside it, so it is loaded (and
 * quarantined row by row) exactly like every other file, each row on the line of its row in the
 * sheet (a cell holding a line break would put the rows after it further down). The first sheet
 * with the expected columns is used.
 */
export async function fiscalCalendarToCsv(xlsxPath: string, csvPath: string, fileName: string): Promise<void> {
  const workbook = new (exceljs().Workbook)();
  try {
    await workbook.xlsx.readFile(xlsxPath);
  } catch (error) {
    throw new LoadRejectedError([{ file: fileName, problem: `the workbook cannot be read (${(error as Error).message})` }]);
  }
  const expected = FISCAL_CALENDAR.columns.map((c) => c.name);
  for (const sheet of workbook.worksheets) {
    const header = (sheet.getRow(1).values as unknown[]).slice(1).map((v) => cellText(v).trim().toLowerCase());
    if (!expected.every((name) => header.includes(name))) continue;
    const out = fs.createWriteStream(csvPath);
    const write = (line: string) => (out.write(line) ? undefined : new Promise<void>((r) => out.once('drain', () => r())));
    await write(header.map(csvField).join(',') + '\n');
    for (let r = 2; r <= sheet.rowCount; r++) {
      const values = (sheet.getRow(r).values as unknown[]).slice(1);
      // A blank row is a blank line, which the loaders skip but count, so a row's line is its row of the sheet.
      if (values.every((v) => v === null || v === undefined || v === '')) await write('\n');
      else await write(header.map((_, i) => csvField(cellText(values[i]))).join(',') + '\n');
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return;
  }
  throw new LoadRejectedError([
    { file: fileName, problem: 'no sheet has the fiscal calendar columns in its first row', expectedColumns: expected },
  ]);
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object' && 'result' in value) return cellText(value.result);
  if (typeof value === 'object' && 'text' in value) return cellText(value.text);
  return typeof value === 'object' ? JSON.stringify(value) : (value as string | number | bigint | boolean).toString();
}
