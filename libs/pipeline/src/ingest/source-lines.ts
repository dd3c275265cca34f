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
