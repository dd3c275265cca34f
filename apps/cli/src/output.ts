import { DomainError } from '@kineo/db';
import { ConfigError } from '@kineo/config';
import { WarehouseError } from '@kineo/warehouse';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(
    JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2) + '\n',
  );
}

/** A plain aligned table for people; --json is for machines. */
export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd() + '\n';
  process.stdout.write(line(columns.map((c) => c.toUpperCase())));
  for (const row of rows) process.stdout.write(line(columns.map((c) => cell(row[c]))));
}

export function printFields(fields: [string, unknown][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [key, value] of fields) {
    const text = value instanceof Date ? value.toISOString() : value === null || value === undefined ? '-' : String(value);
    process.stdout.write(`${key.padEnd(width)}  ${text}\n`);
  }
}

/** Turns any failure into one clear line on stderr and an exit code; stack traces only with KINEO_DEBUG. */
export function reportError(error: unknown): number {
  if (error instanceof CliError || error instanceof DomainError || error instanceof ConfigError || error instanceof WarehouseError) {
    process.stderr.write(`kineo: ${error.message}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`kineo: unexpected error: ${message}\n`);
  if (process.env.KINEO_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 1;
}
