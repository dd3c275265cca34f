import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ALL_FILES, FISCAL_CALENDAR, SOURCE_FILES, type SourceFileSpec } from '@kineo/contract';
import type { TenantNamespace, Warehouse } from '@kineo/warehouse';
import { layerStorage } from '../storage/layer-storage';
import { ensureBronze, removeUnfinishedLoad } from './bronze';
import { LoadRejectedError, type LoadProblem } from './errors';
import { readCsvHeader } from './header';
import type { FileLines, LoadFileCounts } from './load-file.types';
import { fiscalCalendarToCsv } from './xlsx';

const NOT_EXPORT_FILE = 'not a file of the export';

export interface IngestFile {
  /** Where the file is, inside the tenant's landing area. */
  path: string;
  /** The name it was uploaded with; defaults to the path's base name. */
  name?: string;
}

export interface FileReport {
  file: string;
  table: string | null;
  status: 'loaded' | 'duplicate' | 'ignored';
  sha256: string | null;
  rowsRead: number;
  rowsLoaded: number;
  rowsQuarantined: number;
  reasons: { reason: string; rows: number }[];
  note?: string;
}

export interface LoadReport {
  batchId: string;
  batchSeq: number;
  files: FileReport[];
  rowsRead: number;
  rowsLoaded: number;
  rowsQuarantined: number;
}

export interface IngestOptions {
  batchId: string;
  /** cli, upload, landing: where the load came from. */
  source: string;
  asOf?: Date;
  onProgress?: (event: { file: string; index: number; total: number }) => void;
}

/**
 * Loads a set of export files into the tenant's bronze layer, all or nothing: a load with no file
 * of the export (only files by other names), a missing required file, an empty file or a wrong
 * header is rejected before anything is written;
 * otherwise every row ends up in bronze or in bronze._quarantine, and each file's report says
 * rows read = rows loaded + rows quarantined. A file already loaded (same content) is skipped.
 */
export async function ingestFiles(warehouse: Warehouse, tenant: TenantNamespace, files: IngestFile[], options: IngestOptions): Promise<LoadReport> {
  const storage = layerStorage(warehouse, tenant);
  const problems: LoadProblem[] = [];
  // Each ignored file's report, and its problem should the load have nothing else (said shorter: the refusal names the export's files once).
  const ignored: { report: FileReport; problem: string }[] = [];
  const ignore = (file: string, problem: string, note = problem) => ignored.push({ report: ignoredReport(file, note), problem });
  const planned: { spec: SourceFileSpec; path: string; name: string; header: string[]; linesBeforeHeader: number }[] = [];
  const seen = new Map<string, string>();
  // The export files this load has by their own names: a copy beside one is said to be a copy, not to be renamed.
  const named = new Set(files.flatMap((f) => {
    const match = /^(.*)\.(csv|xlsx)$/i.exec(f.name ?? path.basename(f.path));
    const spec = match ? ALL_FILES.find((s) => s.name === match[1].toLowerCase()) : undefined;
    return spec && (match![2].toLowerCase() === 'csv' || spec === FISCAL_CALENDAR) ? [spec.name] : [];
  }));

  for (const file of files) {
    const name = file.name ?? path.basename(file.path);
    const match = /^(.*)\.(csv|xlsx)$/i.exec(name);
    const spec = match ? ALL_FILES.find((s) => s.name === match[1].toLowerCase()) : undefined;
    const isXlsx = match?.[2].toLowerCase() === 'xlsx';
    if (spec && isXlsx && spec !== FISCAL_CALENDAR) {
      ignore(name, `only ${FISCAL_CALENDAR.name} may be an Excel file: save ${spec.name} as CSV (UTF-8) from the LMS or from Excel, and load ${spec.name}.csv`);
      continue;
    }
    if (!spec) {
      const hint = renameHint(name, named);
      if (hint) ignore(name, `${NOT_EXPORT_FILE}; ${hint}`);
      else ignore(name, NOT_EXPORT_FILE, `${NOT_EXPORT_FILE} (its files are named ${exportFileNames().join(', ')})`);
      continue;
    }
    if (seen.has(spec.name)) {
      problems.push({ file: name, problem: `a second file for ${spec.name} in the same load (also ${seen.get(spec.name)})` });
      continue;
    }
    seen.set(spec.name, name);
    let csvPath = file.path;
    if (fs.statSync(file.path).size === 0) {
      problems.push({ file: name, problem: 'the file is empty', expectedColumns: spec.columns.map((c) => c.name) });
      continue;
    }
    if (isXlsx) {
      csvPath = `${file.path}.csv`;
      try {
        await fiscalCalendarToCsv(file.path, csvPath, name);
      } catch (error) {
        if (error instanceof LoadRejectedError) problems.push(...error.problems);
        else throw error;
        continue;
      }
    }
    const header = readCsvHeader(csvPath);
    const expected = spec.columns.map((c) => c.name);
    if (!header || header.names.every((n) => n === '')) {
      problems.push({ file: name, problem: 'the file has no header row', expectedColumns: expected });
      continue;
    }
    const lower = header.names.map((n) => n.toLowerCase());
    const duplicated = lower.filter((n, i) => lower.indexOf(n) !== i);
    if (duplicated.length > 0) {
      problems.push({ file: name, problem: `the header names ${[...new Set(duplicated)].join(', ')} more than once`, expectedColumns: expected });
      continue;
    }
    const missing = expected.filter((c) => !lower.includes(c));
    // One column holding the whole header cut by another separator: a spreadsheet's "CSV" in a
    // locale that separates with semicolons (or tabs). Said as such, not as every column missing.
    const separator = header.names.length === 1 ? ([';', '\t', '|'] as const).find((sep) => header.names[0].split(sep).length > 2) : undefined;
    if (missing.length > 0 && separator) {
      const called = separator === '\t' ? 'tabs' : separator === ';' ? 'semicolons' : 'vertical bars';
      problems.push({
        file: name,
        problem: `the columns are separated by ${called}, not commas: save it again as "CSV UTF-8 (comma delimited)", or export it from the LMS as CSV`,
        expectedColumns: expected,
      });
      continue;
    }
    if (missing.length > 0) {
      problems.push({ file: name, problem: `the header lacks ${missing.join(', ')}`, expectedColumns: expected });
      continue;
    }
    planned.push({ spec, path: csvPath, name, header: header.names, linesBeforeHeader: header.linesBefore });
  }
  // Nothing of the export to read: a build would publish the same data again as a new version.
  if (seen.size === 0) {
    throw new LoadRejectedError([
      ...ignored.map(({ report, problem }) => ({ file: report.file, problem })),
      { problem: `${files.length === 1 ? 'the file received is not' : 'none of the files received is'} a file of the export, so there is nothing to load; the export's files are named ${exportFileNames().join(', ')}` },
    ]);
  }

  return warehouse.session(tenant, async (session) => {
    await ensureBronze(session, warehouse.dialect, storage);
    const loadedBefore = await session.query<{ table_name: string }>('select distinct table_name from bronze._files');
    const available = new Set([...loadedBefore.rows.map((r) => r.table_name), ...planned.map((p) => p.spec.name)]);
    for (const spec of SOURCE_FILES.filter((s) => s.required && !available.has(s.name))) {
      problems.push({
        file: `${spec.name}.csv`,
        problem: 'is required for a build and has not been loaded yet',
        expectedColumns: spec.columns.map((c) => c.name),
      });
    }
    if (problems.length > 0) throw new LoadRejectedError(problems);

    const reports: FileReport[] = [];
    const ingestedAt = new Date();
    let batchSeq: number | undefined;
    try {
      const seq = await session.query<{ n: number }>('select coalesce(max(batch_seq), 0) + 1 as n from bronze._loads');
      batchSeq = Number(seq.rows[0].n);
      // No transaction around the load: see removeUnfinishedLoad for how it stays all or nothing.
      await removeUnfinishedLoad(session, batchSeq, storage);
      // Utility files first: sentinel dates decide what counts as a valid date in the rest.
      const ordered = ALL_FILES.flatMap((spec) => planned.filter((p) => p.spec === spec));
      for (const [index, file] of ordered.entries()) {
        options.onProgress?.({ file: file.name, index, total: ordered.length });
        // Hashed (and its lines counted) while the engine reads the file, so the file is read from disk once.
        const hashing = hashAndCountLines(file.path);
        hashing.catch(() => undefined);
        let previous: { batch_seq: number; source_file: string } | undefined;
        const contentSha256 = async () => {
          const { sha256 } = await hashing;
          const found = await session.query<{ batch_seq: number; source_file: string }>(
            'select batch_seq, source_file from bronze._files where content_sha256 = ? and table_name = ? limit 1',
            [sha256, file.spec.name],
          );
          previous = found.rows[0];
          return previous ? null : sha256;
        };
        const sentinels = (await session.query<{ value: string }>("select distinct trim(value) as value from bronze.null_dates where trim(value) <> ''")).rows.map((r) => r.value);
        // Where the engine reads it: the landing file itself (DuckDB), a copy in the tenant's volume (Databricks).
        let staged: string | undefined;
        let counts: LoadFileCounts | null;
        try {
          staged = await warehouse.stageFile(tenant, file.path, `${options.batchId}/${file.spec.name}.csv`);
          counts = await storage.loadCsvFile(session, warehouse.dialect, {
            spec: file.spec, path: staged, sourceFile: file.name, header: file.header, linesBeforeHeader: file.linesBeforeHeader, contentSha256, lines: async () => await hashing,
            batchId: options.batchId, batchSeq, ingestedAt, sentinels,
          });
        } catch (error) {
          if (!fs.existsSync(file.path)) throw new Error(`${file.name} was removed from the landing area while it was being loaded`, { cause: error });
          throw error;
        } finally {
          // The landing file stays; a staged copy left behind (cleanup failed) is overwritten by a retry.
          if (staged) await warehouse.removeStaged(tenant, staged).catch(() => undefined);
        }
        const { sha256 } = await hashing;
        if (counts === null) {
          reports.push({
            file: file.name, table: file.spec.name, status: 'duplicate', sha256, rowsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, reasons: [],
            note: `identical to ${previous!.source_file} already loaded in load #${previous!.batch_seq}; nothing changed`,
          });
          continue;
        }
        await session.execute('insert into bronze._files values (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
          options.batchId, batchSeq, file.spec.name, file.name, sha256, counts.rowsRead, counts.rowsLoaded, counts.rowsQuarantined, ingestedAt,
        ]);
        reports.push({ file: file.name, table: file.spec.name, status: 'loaded', sha256, ...counts });
      }
      // Written last: this row is what makes the load count as finished.
      await session.execute('insert into bronze._loads values (?, ?, ?, ?, ?)', [
        options.batchId, batchSeq, options.source, ingestedAt, options.asOf ?? null,
      ]);
      const all = [...reports, ...ignored.map((i) => i.report)];
      return {
        batchId: options.batchId,
        batchSeq,
        files: all,
        rowsRead: sum(all, 'rowsRead'),
        rowsLoaded: sum(all, 'rowsLoaded'),
        rowsQuarantined: sum(all, 'rowsQuarantined'),
      };
    } catch (error) {
      if (batchSeq !== undefined) await removeUnfinishedLoad(session, batchSeq, storage).catch(() => undefined);
      throw error;
    }
  });
}

function ignoredReport(file: string, note: string): FileReport {
  return { file, table: null, status: 'ignored', sha256: null, rowsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, reasons: [], note };
}

/** The names a load's files may have: a file of the export by its contract name. */
function exportFileNames(): string[] {
  return ALL_FILES.map((s) => (s === FISCAL_CALENDAR ? `${s.name}.csv (or .xlsx)` : `${s.name}.csv`));
}

/**
 * The export file a file's name nearly is, said as a question: a browser names a second download
 * of a file "users (1).csv" (or "users(2).csv"), Windows a copy "users - Copy.csv", and a name may
 * have spaces for underscores ("course completions.csv"). Such a file is not taken for the export
 * file (a copy may be an older download); the customer is asked to rename it, or, when the load
 * has the export file by its own name too (`named`), told that that one was read instead.
 */
function renameHint(name: string, named: ReadonlySet<string>): string | undefined {
  const parts = /^\s*(.*?)\s*(?:\(\d+\)|-\s*copy(?:\s*\(\d+\))?)?\s*\.(csv|xlsx)$/i.exec(name);
  if (!parts) return undefined;
  const base = parts[1].toLowerCase().replace(/[\s-]+/g, '_');
  const meant = ALL_FILES.find((s) => s.name === base);
  if (!meant) return undefined;
  const extension = meant === FISCAL_CALENDAR ? parts[2].toLowerCase() : 'csv';
  if (named.has(meant.name)) return `it looks like a copy of ${meant.name}.${extension}, which this load has by its own name: that one was read, not this copy.`;
  return `did you mean ${meant.name}.${extension}? Rename it and upload again.`;
}

function sum(reports: FileReport[], key: 'rowsRead' | 'rowsLoaded' | 'rowsQuarantined'): number {
  return reports.reduce((n, r) => n + r[key], 0);
}

/**
 * A file's SHA-256, its lines (its LFs, and one more for a last line without one) and its blank
 * lines, from one read: a loader compares the lines with the records the engine read to know,
 * without looking at a row, that no record spans lines. A blank line is empty or a lone CR (a CRLF
 * file's), by number (the header is line 1); those inside a quoted value are listed too, and a
 * loader tells them apart. Counting is a byte search per line and a look at the byte after each LF
 * (bench/source-lines.ts).
 */
export function hashAndCountLines(file: string, chunkBytes = 1 << 20): Promise<{ sha256: string } & FileLines> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    const blankLines: number[] = [];
    let lines = 0;
    let last = 0x0a;
    // What the previous chunk's end leaves to look at: the line after its last LF (1), or that line's
    // first byte, a CR (2). Line 1 is never listed: blank lines before the header are skipped by the
    // reader, and a loader leaves them out (linesBeforeHeader).
    let pending = 0;
    fs.createReadStream(file, { highWaterMark: chunkBytes })
      .on('data', (data) => {
        const chunk = data as Buffer;
        hash.update(chunk);
        if (chunk.length === 0) return;
        if (pending !== 0) {
          if (chunk[0] === 0x0a || (pending === 1 && chunk[0] === 0x0d && chunk[1] === 0x0a)) blankLines.push(lines + 1);
          pending = pending === 1 && chunk.length === 1 && chunk[0] === 0x0d ? 2 : 0;
        }
        for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) {
          lines++;
          const next = chunk[at + 1];
          if (next === 0x0a || (next === 0x0d && chunk[at + 2] === 0x0a)) blankLines.push(lines + 1);
        }
        const end = chunk.length - 1;
        if (chunk[end] === 0x0a) pending = 1;
        else if (end > 0 && chunk[end] === 0x0d && chunk[end - 1] === 0x0a) pending = 2;
        last = chunk[end];
      })
      .on('error', reject)
      .on('end', () => resolve({ sha256: hash.digest('hex'), lines: lines + (last === 0x0a ? 0 : 1), blankLines }));
  });
}
