import fs from 'node:fs';

/** A record DuckDB rejected: its `line` as DuckDB numbers it (2 + the records and blank lines before it) and the line breaks it holds. */
export interface RejectedRecord {
  line: number;
  breaks: number;
}

/** An accepted record whose values hold line breaks: its place among the accepted records (0 for the first) and those line breaks. */
export interface SpanningRecord {
  place: number;
  breaks: number;
}

export interface LineShifts {
  /**
   * From the accepted record at `acceptedBefore[i]` (its place, 0 for the first) on, until the
   * next, a record's line is its place + 2 + `through[i]` (two arrays: a file can have millions).
   */
  acceptedBefore: number[];
  through: number[];
  /** The line each rejected record starts on, by DuckDB's line for it. */
  rejected: Map<number, number>;
}

/**
 * Where the records of a file with blank lines start, as a walk through the file in order over its
 * blank lines, the records with line breaks and the rejected records (plain records in between go
 * by in one step): a blank line at the line the next record would start on is one DuckDB or Spark
 * skipped; one further up, inside a record's lines, is a quoted value's. DuckDB's line for a
 * rejected record counts the records and skipped blank lines before it, not their line breaks,
 * which tells the accepted records before it. `blankLines`, `spanning` and `rejected` in file order.
 * Its work is in the few records and blank lines listed, not in the file's rows.
 */
export function shiftsPastBlankLines(blankLines: readonly number[], spanning: readonly SpanningRecord[], rejected: readonly RejectedRecord[]): LineShifts {
  const acceptedBefore: number[] = [];
  const throughs: number[] = [];
  const rejectedLines = new Map<number, number>();
  // The line the next record starts on, the accepted records and all records before it, the blank lines skipped.
  let line = 2;
  let accepted = 0;
  let records = 0;
  let skipped = 0;
  let b = 0;
  let s = 0;
  let r = 0;
  const shift = () => {
    if (acceptedBefore.at(-1) === accepted) throughs[throughs.length - 1] = line - accepted - 2;
    else {
      acceptedBefore.push(accepted);
      throughs.push(line - accepted - 2);
    }
  };
  while (b < blankLines.length || s < spanning.length || r < rejected.length) {
    while (b < blankLines.length && blankLines[b] < line) b++;
    if (blankLines[b] === line) {
      for (; blankLines[b] === line; b++, line++) skipped++;
      shift();
    } else if (r < rejected.length && rejected[r].line === 2 + records + skipped) {
      rejectedLines.set(rejected[r].line, line);
      line += 1 + rejected[r].breaks;
      records++;
      r++;
      shift();
    } else if (s < spanning.length && spanning[s].place === accepted) {
      line += 1 + spanning[s].breaks;
      accepted++;
      records++;
      s++;
      shift();
    } else {
      const step = Math.min(
        s < spanning.length ? spanning[s].place - accepted : Infinity,
        r < rejected.length ? rejected[r].line - 2 - records - skipped : Infinity,
        b < blankLines.length ? blankLines[b] - line : Infinity,
      );
      // Never for lists that describe one file; the lines found so far stand.
      if (!(step > 0 && step < Infinity)) break;
      accepted += step;
      records += step;
      line += step;
    }
  }
  return { acceptedBefore, through: throughs, rejected: rejectedLines };
}

/** A line break of another kind than the file's own (its first line's), outside quotes: the line it ends (by LFs, as `_source_line`) and the text before it on that line. */
export interface StrayLineBreak {
  /** The stray line break: a carriage return alone (CR) or a line feed alone (LF). */
  kind: 'CR' | 'LF';
  /** The file's own line breaks, those of its first line. */
  fileEnds: 'LF' | 'CRLF';
  line: number;
  before: string;
}

/**
 * The first line break outside quotes that is not of the kind the file's first line ends with:
 * a carriage return (CR) alone in a file whose lines end with LF or CRLF, or a line feed (LF) alone
 * in a file whose lines end with CRLF. DuckDB takes a file's line breaks from its first lines and
 * cannot read another kind outside quotes (a file of CRs alone, old Mac line endings, it reads).
 * A quote opens a quoted value only at the start of a value, as DuckDB reads it (`5'11"` is text).
 * Read only after DuckDB refused a file, to say where.
 */
export function firstStrayLineBreak(file: string, chunkBytes = 1 << 20): Promise<StrayLineBreak | undefined> {
  return new Promise((resolve, reject) => {
    let line = 1;
    let lineStart = 0;
    let offset = 0;
    // Where the reader is: at the start of a value, in a value without quotes, in quotes, just after a quote in quotes.
    let state: 'start' | 'plain' | 'quoted' | 'quote' = 'start';
    let fileEnds: 'LF' | 'CRLF' | 'CR' | undefined;
    // A CR outside quotes whose next byte is yet to be read (the chunk ended with it): its offset.
    let pendingCr = -1;
    let found: { kind: 'CR' | 'LF'; fileEnds: 'LF' | 'CRLF'; line: number; lineStart: number; at: number } | undefined;
    const lineBreak = (ends: 'LF' | 'CRLF' | 'CR', at: number) => {
      fileEnds ??= ends;
      if (ends === fileEnds || fileEnds === 'CR') return;
      if (ends === 'CRLF') return; // Only CRs alone and LFs alone are read wrong.
      found = { kind: ends === 'CR' ? 'CR' : 'LF', fileEnds, line, lineStart, at };
    };
    const stream = fs.createReadStream(file, { highWaterMark: chunkBytes });
    stream
      .on('data', (data) => {
        const chunk = data as Buffer;
        for (let i = 0; i < chunk.length && !found; i++) {
          const byte = chunk[i];
          if (pendingCr !== -1) {
            const at = pendingCr;
            pendingCr = -1;
            lineBreak(byte === 0x0a ? 'CRLF' : 'CR', at);
            if (found) break;
            state = 'start';
            if (byte === 0x0a) {
              line++;
              lineStart = offset + i + 1;
              continue;
            }
          }
          if (state === 'quoted') {
            if (byte === 0x22) state = 'quote';
            else if (byte === 0x0a) {
              line++;
              lineStart = offset + i + 1;
            }
            continue;
          }
          if (state === 'quote' && byte === 0x22) {
            state = 'quoted';
            continue;
          }
          if (byte === 0x0d) pendingCr = offset + i;
          else if (byte === 0x0a) {
            lineBreak('LF', offset + i);
            if (found) break;
            line++;
            lineStart = offset + i + 1;
            state = 'start';
          } else if (byte === 0x2c) state = 'start';
          else if (byte === 0x22 && state === 'start') state = 'quoted';
          else state = 'plain';
        }
        offset += chunk.length;
        if (found) stream.destroy();
      })
      .on('error', reject)
      .on('close', () => {
        // A CR that ends the file is alone too.
        if (!found && pendingCr !== -1) lineBreak('CR', pendingCr);
        if (!found) return resolve(undefined);
        const from = Math.max(found.lineStart, found.at - 40);
        const fd = fs.openSync(file, 'r');
        try {
          const text = Buffer.alloc(found.at - from);
          fs.readSync(fd, text, 0, text.length, from);
          resolve({ kind: found.kind, fileEnds: found.fileEnds, line: found.line, before: `${from > found.lineStart ? '…' : ''}${text.toString('utf8')}` });
        } finally {
          fs.closeSync(fd);
        }
      });
  });
}
