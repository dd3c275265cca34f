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

/** A carriage return alone among a file's LF line breaks: the line it is on (by LFs, as `_source_line`) and the text before it on that line. */
export interface LoneCarriageReturn {
  line: number;
  before: string;
}

/**
 * The first carriage return (CR) outside quotes that is not part of a CRLF, in a file whose lines
 * end with LF: DuckDB reads such a file's line breaks as LF and cannot read the CR (a file of CRs
 * alone, old Mac line endings, it reads). Read only after DuckDB refused a file, to say where.
 */
export function firstLoneCarriageReturn(file: string, chunkBytes = 1 << 20): Promise<LoneCarriageReturn | undefined> {
  return new Promise((resolve, reject) => {
    let line = 1;
    let lineStart = 0;
    let offset = 0;
    let quoted = false;
    let sawLf = false;
    // A CR outside quotes whose next byte is yet to be read (the chunk ended with it): its offset.
    let pendingCr = -1;
    let found: { line: number; lineStart: number; at: number } | undefined;
    const stream = fs.createReadStream(file, { highWaterMark: chunkBytes });
    stream
      .on('data', (data) => {
        const chunk = data as Buffer;
        let i = 0;
        for (; i < chunk.length && !found; i++) {
          const byte = chunk[i];
          if (pendingCr !== -1) {
            if (byte !== 0x0a) found = { line, lineStart, at: pendingCr };
            pendingCr = -1;
          }
          if (byte === 0x22) quoted = !quoted;
          else if (byte === 0x0a) {
            sawLf = true;
            line++;
            lineStart = offset + i + 1;
          } else if (byte === 0x0d && !quoted) pendingCr = offset + i;
        }
        offset += chunk.length;
        // Found: what is left to know is whether the file's lines end with LF at all.
        if (found && !sawLf) sawLf = chunk.indexOf(0x0a, i) !== -1;
        if (found && sawLf) stream.destroy();
      })
      .on('error', reject)
      .on('close', () => {
        // A CR that ends the file with LFs before it is a lone one too.
        if (!found && pendingCr !== -1) found = { line, lineStart, at: pendingCr };
        if (!found || !sawLf) return resolve(undefined);
        const from = Math.max(found.lineStart, found.at - 40);
        const fd = fs.openSync(file, 'r');
        try {
          const text = Buffer.alloc(found.at - from);
          fs.readSync(fd, text, 0, text.length, from);
          resolve({ line: found.line, before: `${from > found.lineStart ? '…' : ''}${text.toString('utf8')}` });
        } finally {
          fs.closeSync(fd);
        }
      });
  });
}
