import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateExport, type GenerateOptions, type GenerateReport } from '../../src';
import { readTable, type Table } from './csv';

export const AS_OF = new Date('2025-03-15T00:00:00Z');
export const AS_OF_UNIX = AS_OF.getTime() / 1000;

export interface Generated {
  dir: string;
  report: GenerateReport;
  table: (name: string) => Table;
}

const made: string[] = [];

export function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kineo-generator-${label}-`));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export async function generate(label: string, options: Omit<GenerateOptions, 'dir'>): Promise<Generated> {
  const dir = tempDir(label);
  const report = await generateExport({ dir, ...options });
  const tables = new Map<string, Table>();
  return {
    dir,
    report,
    table: (name) => {
      let t = tables.get(name);
      if (!t) {
        t = readTable(dir, `${name}.csv`);
        tables.set(name, t);
      }
      return t;
    },
  };
}

/** Unix seconds from a time column written either way. */
export function seconds(value: string): number {
  if (value === '' || value === '0') return 0;
  if (/^-?\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new Error(`Not a time: ${value}`);
  return ms / 1000;
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
