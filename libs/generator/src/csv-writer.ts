import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { csvField, SOURCE_FILES, type SourceFileSpec } from '@kineo/contract';
import type { GenerateProgress, TimeFormat } from './generator.types';
import { mix, SALT } from './random.util';
import { isoTime } from './time.util';

/** Rows are encoded straight into buffers of this size, which go to the stream when full. */
const CHUNK_BYTES = 256 * 1024;
const PENDING_CHARS = 8 * 1024;
const STREAM_HIGH_WATER_MARK = 1024 * 1024;

/**
 * The contract's spec for a file, checked against the column order the caller writes its rows in: if the
 * contract changes, generation fails loudly instead of writing values under the wrong headers.
 */
export function contractFile(name: string, writtenColumns: readonly string[]): SourceFileSpec {
  const spec = SOURCE_FILES.find((f) => f.name === name);
  if (!spec) throw new Error(`The contract has no source file named ${name}`);
  const expected = spec.columns.map((c) => c.name).join(',');
  if (expected !== writtenColumns.join(',')) {
    throw new Error(`The contract's columns for ${name} (${expected}) are not the ones the generator writes (${writtenColumns.join(',')})`);
  }
  return spec;
}

export interface WrittenFile {
  file: string;
  rows: number;
  bytes: number;
}

/**
 * Streams one CSV file. Callers build each row as a string (cheaper than arrays of fields at tens of
 * millions of rows), and await `drain()` whenever `blocked` says the disk is behind.
 */
export class CsvWriter {
  rows = 0;
  private pending = '';
  private chunk: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private readonly spare: Buffer[] = [];
  private used = 0;
  private readonly stream: fs.WriteStream;
  private waiting: Promise<unknown> | undefined;
  private failure: Error | undefined;
  private iso: boolean;
  private readonly salt: number;

  constructor(
    dir: string,
    readonly file: string,
    header: readonly string[],
    private readonly format: TimeFormat,
    private readonly onProgress?: (p: GenerateProgress) => void,
  ) {
    this.stream = fs.createWriteStream(path.join(dir, file), { highWaterMark: STREAM_HIGH_WATER_MARK });
    this.stream.on('error', (error) => (this.failure ??= error));
    this.iso = format === 'iso';
    let salt: number = SALT.mixedTime;
    for (let i = 0; i < file.length; i++) salt = mix(salt, file.charCodeAt(i));
    this.salt = salt;
    this.used = this.chunk.write(`${header.map(csvField).join(',')}\n`, 0);
  }

  /**
   * Starts a row. In 'mixed' mode it decides, from the row's position alone, whether this row's time
   * columns are ISO-8601 or Unix seconds.
   */
  begin(): void {
    if (this.format === 'mixed') this.iso = (mix(this.salt, this.rows) & 1) === 1;
  }

  /** A time column where Totara stores 0 for "not set". */
  t(seconds: number): string {
    if (seconds === 0) return this.iso ? '' : '0';
    return this.iso ? isoTime(seconds) : String(seconds);
  }

  /** A time column where Totara stores NULL for "not set". */
  tn(seconds: number): string {
    if (seconds === 0) return '';
    return this.iso ? isoTime(seconds) : String(seconds);
  }

  /** True when the current row writes times as ISO-8601. */
  get isoRow(): boolean {
    return this.iso;
  }

  /** Appends one row, already joined and escaped, without its line ending. */
  line(row: string): void {
    this.pending += row;
    this.pending += '\n';
    this.rows++;
    if (this.pending.length >= PENDING_CHARS) this.encode();
  }

  /** Moves the pending rows into the current buffer (a few KB at a time: small strings die young). */
  private encode(): void {
    const text = this.pending;
    this.pending = '';
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.used + text.length * 3 > this.chunk.length) {
      this.spill();
      if (text.length * 3 > this.chunk.length) this.chunk = Buffer.allocUnsafe(text.length * 3);
    }
    this.used += this.chunk.write(text, this.used);
  }

  /** Appends one row from values; strings are quoted as needed. For the small files. */
  values(values: readonly (string | number)[]): void {
    this.begin();
    let row = '';
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (i > 0) row += ',';
      row += typeof v === 'number' ? String(v) : csvField(v);
    }
    this.line(row);
  }

  get blocked(): boolean {
    return this.waiting !== undefined;
  }

  async drain(): Promise<void> {
    if (this.waiting) {
      await this.waiting;
      this.waiting = undefined;
    }
    if (this.failure) throw this.failure;
  }

  async close(): Promise<WrittenFile> {
    if (this.pending.length > 0) this.encode();
    if (this.used > 0) this.spill();
    await this.drain();
    this.stream.end();
    await finished(this.stream);
    if (this.failure) throw this.failure;
    this.onProgress?.({ file: this.file, rows: this.rows });
    return { file: this.file, rows: this.rows, bytes: this.stream.bytesWritten };
  }

  /** Stops writing after a failure elsewhere; the file is left incomplete. */
  abort(): void {
    this.stream.destroy();
  }

  private spill(): void {
    if (this.failure) throw this.failure;
    const full = this.chunk;
    // Buffers come back once written and are reused, so memory holds the few in flight, not garbage.
    const ok = this.stream.write(full.subarray(0, this.used), () => {
      if (full.length === CHUNK_BYTES) this.spare.push(full);
    });
    this.chunk = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    if (!ok && !this.waiting) {
      this.waiting = once(this.stream, 'drain').catch((error: Error) => {
        this.failure ??= error;
      });
    }
    this.onProgress?.({ file: this.file, rows: this.rows });
  }
}

/** Waits for every writer the disk is behind on; cheap when none is. */
export async function drainAll(writers: readonly CsvWriter[]): Promise<void> {
  for (const w of writers) if (w.blocked) await w.drain();
}
