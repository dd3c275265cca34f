import fs from 'node:fs';
import { expect, type Download } from '@playwright/test';

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. */
export function parseCsv(csv: string): string[][] {
  // An export starts with a byte-order mark (for Excel); it is not part of the first column's name.
  expect(csv.startsWith('\uFEFF')).toBe(true);
  const text = csv.slice(1);
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n') endRow();
    else if (c !== '\r') field += c;
  }
  if (field || row.length) endRow();
  return rows;
}

/** A downloaded CSV's header and its data rows (blank lines aside). */
export async function readCsvDownload(download: Download): Promise<{ header: string[]; rows: string[][] }> {
  const [header, ...rows] = parseCsv(fs.readFileSync(await download.path(), 'utf8')).filter((r) => r.some(Boolean));
  return { header, rows };
}
