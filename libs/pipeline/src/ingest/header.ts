import fs from 'node:fs';

export interface CsvHeader {
  /** Column names as written, BOM removed, surrounding quotes removed. */
  names: string[];
  hasBom: boolean;
  /** Blank lines before the header row (a line break alone, or spaces): the header is on line linesBefore + 1. */
  linesBefore: number;
}

/**
 * Reads the header record of a CSV file (the first record, which may be quoted), past any blank
 * lines before it (an export script's, or an editor's). Only the first 64 KiB are read: the rows
 * themselves are DuckDB's job.
 */
export function readCsvHeader(file: string): CsvHeader | undefined {
  const fd = fs.openSync(file, 'r');
  let text: string;
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const bytes = fs.readSync(fd, buffer, 0, buffer.length, 0);
    text = buffer.subarray(0, bytes).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
  const hasBom = text.charCodeAt(0) === 0xfeff;
  if (hasBom) text = text.slice(1);
  if (text.trim() === '') return undefined;
  const blank = /^(?:[ \t]*(?:\r\n|\n|\r))*/.exec(text)![0];
  const linesBefore = blank.match(/\r\n|\n|\r/g)?.length ?? 0;
  text = text.slice(blank.length);
  const names: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      names.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      break;
    } else field += ch;
  }
  names.push(field);
  return { names: names.map((n) => n.trim()), hasBom, linesBefore };
}
