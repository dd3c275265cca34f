import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { writeExport, type ExportColumn } from '../src/modules/analytics/export-writer.util';

// What a person opening an export in Excel gets: names as the LMS holds them, whatever they start with.

/** The file's bytes, its rows given as one chunk. */
async function written(format: 'csv' | 'xlsx', columns: ExportColumn[], rows: Record<string, unknown>[]): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (d: Buffer) => parts.push(d));
  async function* chunks() {
    yield rows;
  }
  await writeExport(format, columns, chunks(), out);
  return Buffer.concat(parts);
}

async function csvOf(columns: ExportColumn[], rows: Record<string, unknown>[]): Promise<string> {
  return (await written('csv', columns, rows)).toString('utf8');
}

const columns: ExportColumn[] = [
  { key: 'name', title: 'Learner', type: 'string' },
  { key: 'delta', title: 'Change', type: 'number' },
];

describe('a CSV export', () => {
  it("starts with a byte-order mark, so Excel reads 'Zoë Łukasz 山田' as UTF-8", async () => {
    const text = await csvOf(columns, [{ name: 'Zoë Łukasz 山田', delta: 1 }]);
    expect(text.startsWith('\uFEFFLearner,Change\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('Zoë Łukasz 山田,1');
  });

  it('writes a text value Excel would run as a formula with an apostrophe first, and leaves numbers and other text as they are', async () => {
    const names = ['=1+1 Formula', '+cmd Plus', '-2+3 @SUM(A1)', '@SUM(A1)', '\tTabbed', "O'Brien, \"Jack\"", 'Ann-Marie'];
    const text = await csvOf(columns, names.map((name, i) => ({ name, delta: -i })));
    const lines = text.slice(1).trimEnd().split('\n');
    expect(lines.slice(1)).toEqual([
      "'=1+1 Formula,0",
      "'+cmd Plus,-1",
      "'-2+3 @SUM(A1),-2",
      "'@SUM(A1),-3",
      "'\tTabbed,-4",
      '"O\'Brien, ""Jack""",-5',
      'Ann-Marie,-6',
    ]);
  });
});

describe('an XLSX export', () => {
  async function sheetOf(columns: ExportColumn[], rows: Record<string, unknown>[]): Promise<ExcelJS.Worksheet> {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await written('xlsx', columns, rows)) as unknown as ArrayBuffer);
    return workbook.worksheets[0]!;
  }

  it('writes dates as Excel dates of the same calendar day, shown as the CSV writes them, so they sort and filter as dates', async () => {
    const dated: ExportColumn[] = [
      { key: 'month', title: 'Completed (month)', type: 'date' },
      { key: 'n', title: 'Completed', type: 'number', format: 'integer' },
    ];
    const sheet = await sheetOf(dated, [
      { month: '2025-06-01', n: 3 },
      { month: '2024-02-29', n: 1 },
      { month: '2025-06-01T13:45:00Z', n: 2 },
      { month: null, n: 0 },
      { month: 'not a date', n: 4 },
    ]);
    const cell = (row: number) => sheet.getRow(row).getCell(1);
    // Midnight UTC: a whole day in Excel's numbering, which has no time zone, so no reader sees another day.
    expect(cell(2).value).toEqual(new Date('2025-06-01T00:00:00.000Z'));
    expect(cell(2).numFmt).toBe('yyyy-mm-dd');
    expect(cell(3).value).toEqual(new Date('2024-02-29T00:00:00.000Z'));
    // A time of day is kept, and shown.
    expect(cell(4).value).toEqual(new Date('2025-06-01T13:45:00.000Z'));
    expect(cell(4).numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    expect(cell(5).value).toBeNull();
    // Text that is no ISO date stays the text it was.
    expect(cell(6).value).toBe('not a date');
    expect(sheet.getRow(2).getCell(2).value).toBe(3);
  });
});
