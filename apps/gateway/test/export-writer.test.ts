import { PassThrough } from 'node:stream';
import { writeExport, type ExportColumn } from '../src/modules/analytics/export-writer.util';

// What a person opening an export in Excel gets: names as the LMS holds them, whatever they start with.

async function csvOf(columns: ExportColumn[], rows: Record<string, unknown>[]): Promise<string> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (d: Buffer) => parts.push(d));
  async function* chunks() {
    yield rows;
  }
  await writeExport('csv', columns, chunks(), out);
  return Buffer.concat(parts).toString('utf8');
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
