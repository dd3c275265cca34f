import fs from 'node:fs';
import path from 'node:path';
import { Workbook } from 'exceljs';
import { fiscalDay } from '../src';
import { writeFiscalCalendar } from '../src/fiscal-calendar';
import { AS_OF, generate, removeTempDirs, tempDir } from './support/fixture';

interface Row {
  fiscalYear: number;
  fiscalQuarter: number;
  fiscalPeriod: number;
}

describe('the fiscal calendar', () => {
  afterAll(removeTempDirs);

  it('writes dimdates.xlsx only when asked', async () => {
    const without = await generate('no-fiscal', { users: 50, asOf: AS_OF });
    expect(fs.existsSync(path.join(without.dir, 'dimdates.xlsx'))).toBe(false);
    expect(without.report.fiscalCalendar).toBeUndefined();
  });

  it('is a readable workbook of every day 2012-2036, fiscal years named by the year they end in', async () => {
    const g = await generate('fiscal', { users: 50, asOf: AS_OF, fiscalCalendar: true, fiscalYearStartMonth: 7 });
    expect(g.report.fiscalCalendar).toEqual({ file: 'dimdates.xlsx', startMonth: 7, rows: 9132 });
    const workbook = new Workbook();
    await workbook.xlsx.readFile(path.join(g.dir, 'dimdates.xlsx'));
    const sheet = workbook.worksheets[0];
    expect(sheet.getRow(1).values).toEqual([undefined, 'date', 'fiscal_year', 'fiscal_quarter', 'fiscal_period']);
    const days = new Map<string, Row>();
    sheet.eachRow((row, n) => {
      if (n === 1) return;
      const [, date, fiscalYear, fiscalQuarter, fiscalPeriod] = row.values as [unknown, Date, number, number, number];
      days.set(date.toISOString().slice(0, 10), { fiscalYear, fiscalQuarter, fiscalPeriod });
    });
    expect(days.size).toBe(9132);
    expect([...days.keys()][0]).toBe('2012-01-01');
    expect([...days.keys()].at(-1)).toBe('2036-12-31');
    expect(days.get('2024-06-30')).toEqual({ fiscalYear: 2024, fiscalQuarter: 4, fiscalPeriod: 12 });
    expect(days.get('2024-07-01')).toEqual({ fiscalYear: 2025, fiscalQuarter: 1, fiscalPeriod: 1 });
    expect(days.get('2024-10-01')).toEqual({ fiscalYear: 2025, fiscalQuarter: 2, fiscalPeriod: 4 });
    expect(days.get('2012-01-01')).toEqual({ fiscalYear: 2012, fiscalQuarter: 3, fiscalPeriod: 7 });
    expect(days.get('2036-12-31')).toEqual({ fiscalYear: 2037, fiscalQuarter: 2, fiscalPeriod: 6 });
  });

  it('follows the start month: January is the calendar year, April starts FY on 1 April', () => {
    expect(fiscalDay(2024, 1, 1)).toEqual({ fiscalYear: 2024, fiscalQuarter: 1, fiscalPeriod: 1 });
    expect(fiscalDay(2024, 12, 1)).toEqual({ fiscalYear: 2024, fiscalQuarter: 4, fiscalPeriod: 12 });
    expect(fiscalDay(2024, 3, 4)).toEqual({ fiscalYear: 2024, fiscalQuarter: 4, fiscalPeriod: 12 });
    expect(fiscalDay(2024, 4, 4)).toEqual({ fiscalYear: 2025, fiscalQuarter: 1, fiscalPeriod: 1 });
  });

  it('gives the same bytes whatever the wall clock says when it is written', async () => {
    const stamp = new Date('2025-03-15T00:00:00Z');
    jest.useFakeTimers({
      now: new Date('2030-01-01T10:00:00Z'),
      doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'],
    });
    try {
      const first = tempDir('clock-a');
      await writeFiscalCalendar(first, 4, stamp);
      jest.setSystemTime(new Date('2031-06-01T17:31:07Z'));
      const second = tempDir('clock-b');
      await writeFiscalCalendar(second, 4, stamp);
      expect(fs.readFileSync(path.join(first, 'dimdates.xlsx')).equals(fs.readFileSync(path.join(second, 'dimdates.xlsx')))).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
