import fs from 'node:fs';
import path from 'node:path';
import { ALL_FILES, COURSE_STATUS, FISCAL_CALENDAR, NULL_DATES, SEMINAR_STATUS_CODES, SOURCE_FILES, sourceFile, type SourceFileSpec } from '../src';

const column = (file: string, name: string) => sourceFile(file)?.columns.find((c) => c.name === name);

describe('the export contract as data', () => {
  it('names every file once, and every column once within its file', () => {
    const names = ALL_FILES.map((f) => f.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    for (const file of ALL_FILES) {
      const columns = file.columns.map((c) => c.name);
      expect({ file: file.name, repeated: columns.filter((n, i) => columns.indexOf(n) !== i) }).toEqual({ file: file.name, repeated: [] });
      expect(file.columns.length).toBeGreaterThan(0);
    }
  });

  it('keys every file on columns it has', () => {
    for (const file of ALL_FILES) {
      const columns = new Set(file.columns.map((c) => c.name));
      expect(file.key.length).toBeGreaterThan(0);
      expect({ file: file.name, missing: file.key.filter((k) => !columns.has(k)) }).toEqual({ file: file.name, missing: [] });
      expect(new Set(file.key).size).toBe(file.key.length);
    }
  });

  it('lists codes, distinct whole numbers in ascending order, for coded columns and only for them', () => {
    for (const file of ALL_FILES) {
      for (const c of file.columns) {
        const where = `${file.name}.${c.name}`;
        if (c.kind !== 'code') {
          expect({ where, codes: c.codes }).toEqual({ where, codes: undefined });
          continue;
        }
        const codes = c.codes ?? [];
        expect({ where, empty: codes.length === 0 }).toEqual({ where, empty: false });
        expect({ where, codes }).toEqual({ where, codes: [...new Set(codes)].sort((a, b) => a - b) });
        expect({ where, wholeNumbers: codes.every(Number.isInteger) }).toEqual({ where, wholeNumbers: true });
      }
    }
  });

  it('names course and seminar statuses for exactly the codes their columns accept', () => {
    expect(Object.keys(COURSE_STATUS).map(Number)).toEqual(column('course_completions', 'status')?.codes);
    expect(column('seminar_signups', 'statuscode')?.codes).toEqual(SEMINAR_STATUS_CODES);
  });

  it('reads the utility files first, so their sentinel dates and calendar apply to the source files', () => {
    expect(ALL_FILES.slice(0, 2)).toEqual([NULL_DATES, FISCAL_CALENDAR]);
    expect(ALL_FILES.slice(2)).toEqual(SOURCE_FILES);
    expect(ALL_FILES.filter((f) => f.required).map((f) => f.name)).toEqual(SOURCE_FILES.filter((f) => f.required).map((f) => f.name));
  });

  it('finds a file by its name and nothing for a name it does not have', () => {
    for (const file of ALL_FILES) expect(sourceFile(file.name)).toBe(file);
    expect(sourceFile('users.csv')).toBeUndefined();
    expect(sourceFile('grades')).toBeUndefined();
  });
});

/** The rows of the source-file table in docs/data-contract.md: file, key, columns. */
function documentedFiles(): { name: string; key: string[]; columns: string[] }[] {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'data-contract.md'), 'utf8');
  const list = (text: string) =>
    text
      .replace(/^\((.*)\)$/, '$1')
      .split(',')
      .map((part) => part.replace(/\(.*?\)/g, '').trim())
      .filter(Boolean);
  return [...doc.matchAll(/^\| ([a-z_]+)\.csv \| ([^|]+) \| ([^|]+) \|/gm)].map((m) => ({
    name: m[1],
    key: list(m[2].trim()),
    columns: list(m[3]),
  }));
}

describe('the export contract as documented', () => {
  const documented = documentedFiles();
  const asDocumented = (f: SourceFileSpec) => ({ name: f.name, key: [...f.key], columns: f.columns.map((c) => c.name) });

  it('has the files, keys and columns, in order, that docs/data-contract.md lists', () => {
    expect(documented.length).toBeGreaterThan(10);
    expect(SOURCE_FILES.map(asDocumented)).toEqual(documented);
  });

  it('requires the files the document says a build needs', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'data-contract.md'), 'utf8');
    const line = /Required for a build: ([^.]+)\./.exec(doc)?.[1] ?? '';
    const required = [...line.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(0);
    expect(SOURCE_FILES.filter((f) => f.required).map((f) => f.name)).toEqual(required);
  });
});
