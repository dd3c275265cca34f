import type { SourceFileSpec } from '@kineo/contract';

/** What a loader is given for one file of a load (both engines' loaders take the same). */
export interface LoadFileInput {
  spec: SourceFileSpec;
  /** Absolute path inside the tenant's landing area. */
  path: string;
  /** The file's name as uploaded, for reports and `_source_file`. */
  sourceFile: string;
  /** The header as written in the file, in file order. */
  header: string[];
  /** Blank lines before the header row: the reader skips them, and a row's line counts them. */
  linesBeforeHeader: number;
  /**
   * The file's SHA-256, asked for once the engine has read the file (the hash is computed while it
   * reads, from the same pages); null when a file of that content was loaded before, and then
   * this file's load stops with nothing written.
   */
  contentSha256: () => Promise<string | null>;
  /** The file's lines and blank lines, counted in the same read as the hash. */
  lines: () => Promise<FileLines>;
  batchId: string;
  batchSeq: number;
  ingestedAt: Date;
  /** Texts null_dates.csv lists as "not set"; they are valid in any time column. */
  sentinels: string[];
}

export interface LoadFileCounts {
  rowsRead: number;
  rowsLoaded: number;
  rowsQuarantined: number;
  /** The commonest quarantine reasons, for the report. */
  reasons: { reason: string; rows: number }[];
}

export interface FileLines {
  /**
   * The file's lines (its LFs, and a last line without one). The header and one line per record,
   * as nearly every file has, means no record spans lines.
   */
  lines: number;
  /**
   * The numbers of its blank lines (empty, or a CR alone before the LF), in order; a quoted value's
   * blank lines too. DuckDB and Spark skip a blank line between records without a trace.
   */
  blankLines: number[];
}
