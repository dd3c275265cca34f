import { DomainError } from '@kineo/errors';

/** A command that cannot do what was asked; exit code 2 is a usage error (CLI_USAGE), 1 anything else. */
export class CliError extends DomainError {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(exitCode === 2 ? 'CLI_USAGE' : 'CLI_FAILED', message);
  }
}

/** Raised when whoever reads stdout has gone (e.g. `| head`): the command stops quietly. */
export class OutputClosedError extends DomainError {
  constructor() {
    super('OUTPUT_CLOSED', 'stdout was closed by its reader');
  }
}

let stdoutClosed = false;

/**
 * A reader that stops early (`kineo sql ... | head`) makes writes fail with EPIPE, emitted as an
 * 'error' event that would otherwise crash the process with a stack trace.
 */
export function watchStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
      stdoutClosed = true;
      return;
    }
    throw error;
  });
}

/**
 * Writes to stdout honouring back-pressure, so a large result goes out as fast as the reader takes
 * it instead of piling up in memory; rejects with OutputClosedError once the reader has gone.
 */
export async function writeOut(text: string): Promise<void> {
  if (stdoutClosed) throw new OutputClosedError();
  if (process.stdout.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      process.stdout.off('drain', done);
      process.stdout.off('error', done);
      process.stdout.off('close', done);
      resolve();
    };
    process.stdout.on('drain', done);
    process.stdout.on('error', done);
    process.stdout.on('close', done);
  });
  if (stdoutClosed) throw new OutputClosedError();
}

/** Resolves once everything written to the stream so far has been handed to the OS (or failed). */
export function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) return resolve();
    stream.write('', () => resolve());
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2) + '\n',
  );
}

/** A plain aligned table for people; --json is for machines. */
export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (v: unknown) => (v === null || v === undefined ? '' : plainText(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd() + '\n';
  process.stdout.write(line(columns.map((c) => c.toUpperCase())));
  for (const row of rows) process.stdout.write(line(columns.map((c) => cell(row[c]))));
}

export function printFields(fields: [string, unknown][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [key, value] of fields) {
    const text = value === null || value === undefined ? '-' : plainText(value);
    process.stdout.write(`${key.padEnd(width)}  ${text}\n`);
  }
}

/** A value as people read it: a date in ISO form, a JSON value (an object, a list) as JSON. */
function plainText(value: NonNullable<unknown>): string {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : (value as string | number | bigint | boolean).toString();
}

/** Turns any failure into one clear line on stderr and an exit code; stack traces only with KINEO_DEBUG. */
export function reportError(error: unknown, debug: boolean): number {
  if (error instanceof OutputClosedError) return 0;
  // Every error the platform raises on purpose says what and where; anything else is a bug.
  if (error instanceof DomainError) {
    process.stderr.write(`kineo: ${error.message}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`kineo: unexpected error: ${message}\n`);
  if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 1;
}
