import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_FILES } from '@kineo/contract';
import { generateExport, NULL_DATE_VALUES } from '../src';
import { parseCsv } from './support/csv';
import { AS_OF, generate, removeTempDirs, tempDir, type Generated } from './support/fixture';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$/;

describe('the files of a generated export', () => {
  let g: Generated;
  beforeAll(async () => {
    g = await generate('files', { users: 3000, seed: 7, asOf: AS_OF });
  });
  afterAll(removeTempDirs);

  it('has every source file of the contract with exactly its header columns, in order', () => {
    for (const spec of SOURCE_FILES) {
      const t = g.table(spec.name);
      expect({ file: spec.name, header: t.header }).toEqual({ file: spec.name, header: spec.columns.map((c) => c.name) });
      expect(t.rows.length).toBeGreaterThan(0);
    }
  });

  it('has null_dates.csv with the sentinel values', () => {
    const t = g.table('null_dates');
    expect(t.header).toEqual(['value']);
    expect(t.values('value')).toEqual([...NULL_DATE_VALUES]);
  });

  it('parses back as RFC 4180, every record with the header column count', () => {
    let quotedLineBreaks = 0;
    for (const file of fs.readdirSync(g.dir).filter((f) => f.endsWith('.csv'))) {
      const text = fs.readFileSync(path.join(g.dir, file), 'utf8');
      expect(text.charCodeAt(0)).not.toBe(0xfeff);
      const records = parseCsv(text);
      const width = records[0].length;
      const bad = records.findIndex((r) => r.length !== width);
      expect({ file, bad }).toEqual({ file, bad: -1 });
      quotedLineBreaks += records.filter((r) => r.some((v) => v.includes('\n'))).length;
    }
    // Course and seminar names with a comma, a quote and a line break exercise the quoting.
    const courseNames = g.table('courses').values('fullname');
    expect(courseNames.some((n) => n.includes(','))).toBe(true);
    expect(courseNames.some((n) => n.includes('"'))).toBe(true);
    expect(quotedLineBreaks).toBeGreaterThan(0);
  });

  it('reports the row count of every file it wrote', () => {
    for (const [file, { rows, bytes }] of Object.entries(g.report.files)) {
      if (!file.endsWith('.csv')) continue;
      expect({ file, rows }).toEqual({ file, rows: g.table(file.replace(/\.csv$/, '')).rows.length });
      expect(fs.statSync(path.join(g.dir, file)).size).toBe(bytes);
    }
    expect(Object.keys(g.report.files).sort()).toEqual([...SOURCE_FILES.map((f) => `${f.name}.csv`), 'null_dates.csv'].sort());
    expect(g.report.asOf).toBe(AS_OF.toISOString());
    expect(g.report.seed).toBe(7);
  });

  it('keeps every file unique on its contract key', () => {
    for (const spec of SOURCE_FILES) {
      const t = g.table(spec.name);
      const cols = spec.key.map((k) => t.col(k));
      const keys = new Set(t.rows.map((r) => cols.map((c) => r[c]).join('|')));
      expect({ file: spec.name, duplicates: t.rows.length - keys.size }).toEqual({ file: spec.name, duplicates: 0 });
    }
  });

  it('uses every code the contract lists for each coded column, and no other', () => {
    for (const spec of SOURCE_FILES) {
      for (const column of spec.columns.filter((c) => c.kind === 'code')) {
        const seen = new Set(g.table(spec.name).values(column.name).filter((v) => v !== ''));
        const expected = column.codes!.map(String);
        expect({ column: `${spec.name}.${column.name}`, codes: [...seen].sort() }).toEqual({
          column: `${spec.name}.${column.name}`,
          codes: [...expected].sort(),
        });
      }
    }
  });

  it('writes Unix seconds in time columns by default', () => {
    for (const spec of SOURCE_FILES) {
      const t = g.table(spec.name);
      for (const column of spec.columns.filter((c) => c.kind === 'time')) {
        const bad = t.values(column.name).filter((v) => v !== '' && !/^\d+$/.test(v) && !NULL_DATE_VALUES.includes(v as never));
        expect({ column: `${spec.name}.${column.name}`, bad }).toEqual({ column: `${spec.name}.${column.name}`, bad: [] });
      }
    }
  });
});

describe('generating', () => {
  afterAll(removeTempDirs);

  const options = { users: 600, seed: 42, asOf: AS_OF, fiscalCalendar: true };
  const bytesOf = (dir: string) => Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f))]));

  it('gives byte-identical files for the same seed, and different files for another', async () => {
    const a = await generate('same-a', options);
    const b = await generate('same-b', options);
    const other = await generate('other', { ...options, seed: 43 });
    const filesA = bytesOf(a.dir);
    const filesB = bytesOf(b.dir);
    expect(Object.keys(filesA)).toEqual(Object.keys(filesB));
    for (const file of Object.keys(filesA)) expect({ file, same: filesA[file].equals(filesB[file]) }).toEqual({ file, same: true });
    const filesOther = bytesOf(other.dir);
    expect(filesOther['users.csv'].equals(filesA['users.csv'])).toBe(false);
    expect(filesOther['course_completions.csv'].equals(filesA['course_completions.csv'])).toBe(false);
    expect(a.report.cases).toEqual(b.report.cases);
  });

  it('writes every time column as ISO-8601 with timeFormat iso', async () => {
    const g = await generate('iso', { users: 300, seed: 5, asOf: AS_OF, timeFormat: 'iso' });
    for (const spec of SOURCE_FILES) {
      const t = g.table(spec.name);
      for (const column of spec.columns.filter((c) => c.kind === 'time')) {
        const bad = t.values(column.name).filter((v) => v !== '' && !ISO.test(v));
        expect({ column: `${spec.name}.${column.name}`, bad: bad.slice(0, 3) }).toEqual({ column: `${spec.name}.${column.name}`, bad: [] });
      }
    }
    // Day-granular values are plain dates; the rest are UTC date-times.
    expect(g.table('courses').values('startdate').every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))).toBe(true);
    expect(g.table('course_completions').values('timeenrolled').some((v) => v.endsWith('Z'))).toBe(true);
  });

  it('mixes Unix seconds and ISO-8601 row by row with timeFormat mixed, the same way every time', async () => {
    const a = await generate('mixed-a', { users: 300, seed: 5, asOf: AS_OF, timeFormat: 'mixed' });
    const b = await generate('mixed-b', { users: 300, seed: 5, asOf: AS_OF, timeFormat: 'mixed' });
    const enrolled = a.table('course_completions').values('timeenrolled');
    const iso = enrolled.filter((v) => ISO.test(v)).length;
    expect(iso).toBeGreaterThan(enrolled.length * 0.3);
    expect(iso).toBeLessThan(enrolled.length * 0.7);
    expect(enrolled.filter((v) => /^\d+$/.test(v)).length).toBe(enrolled.length - iso);
    expect(fs.readFileSync(path.join(a.dir, 'scorm_tracks.csv')).equals(fs.readFileSync(path.join(b.dir, 'scorm_tracks.csv')))).toBe(true);
  });

  it('reports progress per file', async () => {
    const seen = new Map<string, number>();
    await generateExport({ dir: tempDir('progress'), users: 100, asOf: AS_OF, onProgress: (p) => seen.set(p.file, p.rows) });
    expect([...seen.keys()]).toEqual(expect.arrayContaining(['users.csv', 'course_completions.csv', 'null_dates.csv']));
    expect(seen.get('users.csv')).toBe(100);
  });

  it('refuses options it cannot honour', async () => {
    const dir = tempDir('invalid');
    await expect(generateExport({ dir, users: 10 })).rejects.toThrow(/at least 50/);
    await expect(generateExport({ dir, users: 100, fiscalYearStartMonth: 13 })).rejects.toThrow(/1-12/);
    await expect(generateExport({ dir, users: 100, years: 0 })).rejects.toThrow(/years/);
    await expect(generateExport({ dir, users: 100, asOf: new Date('nope') })).rejects.toThrow(/asOf/);
  });

  it('defaults as_of to today at midnight UTC', async () => {
    const today = () => new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000).toISOString();
    const before = today();
    const report = await generateExport({ dir: tempDir('today'), users: 50 });
    expect([before, today()]).toContain(report.asOf);
  });
});
