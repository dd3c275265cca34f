import fs from 'node:fs';
import path from 'node:path';

/**
 * An RFC 4180 reader written as a state machine, independent of the generator's writer: quoted fields
 * may hold commas, doubled quotes and line breaks; records end at LF or CRLF outside quotes.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let inQuotes = false;
  let afterQuote = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
          afterQuote = true;
        }
      } else field += ch;
      continue;
    }
    if (ch === '"') {
      if (field !== '' || afterQuote) throw new Error(`Stray quote in record ${records.length + 1}`);
      inQuotes = true;
    } else if (ch === ',') {
      record.push(field);
      field = '';
      afterQuote = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      afterQuote = false;
    } else {
      if (afterQuote) throw new Error(`Text after a closing quote in record ${records.length + 1}`);
      field += ch;
    }
  }
  if (inQuotes) throw new Error('Unterminated quoted field');
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

export interface Table {
  header: string[];
  rows: string[][];
  /** Column index by name. */
  col: (name: string) => number;
  /** Values of one column. */
  values: (name: string) => string[];
  /** Rows as objects, for readable assertions. */
  objects: () => Record<string, string>[];
}

export function readTable(dir: string, file: string): Table {
  const records = parseCsv(fs.readFileSync(path.join(dir, file), 'utf8'));
  const [header, ...rows] = records;
  const index = new Map(header.map((h, i) => [h, i]));
  const col = (name: string) => {
    const i = index.get(name);
    if (i === undefined) throw new Error(`${file} has no column ${name}`);
    return i;
  };
  return {
    header,
    rows,
    col,
    values: (name) => rows.map((r) => r[col(name)]),
    objects: () => rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))),
  };
}
