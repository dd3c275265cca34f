import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countCsvRows, measureCsvStream } from '../src';

// A quoted line break, CRLF endings, a blank line and no final newline: what real exports bring.
const CSV = 'id,name\r\n1,"a\r\nb"\r\n\r\n2,"c,""d"""\r\n3,e';

async function* chunksOf(text: string, size: number) {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

describe('counting a load file as it streams', () => {
  it('counts what countCsvRows counts on disk, however the bytes are cut', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-rows-'));
    try {
      fs.writeFileSync(path.join(dir, 'users.csv'), CSV);
      expect(await countCsvRows(path.join(dir, 'users.csv'))).toBe(3);
      for (const size of [1, 2, 7, CSV.length]) {
        expect(await measureCsvStream('users.csv', chunksOf(CSV, size))).toEqual({ bytes: Buffer.byteLength(CSV), rows: 3 });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts no rows in a file that is not CSV (the fiscal calendar), only its bytes', async () => {
    expect(await measureCsvStream('fiscal_calendar.xlsx', chunksOf(CSV, 4))).toEqual({ bytes: Buffer.byteLength(CSV), rows: 0 });
  });
});
