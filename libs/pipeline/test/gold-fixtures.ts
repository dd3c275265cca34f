import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { SOURCE_FILES, sourceFile } from '@kineo/contract';
import { DuckDbWarehouse, namespaceForTenantSeq, type Row } from '@kineo/warehouse';
import { buildTenant, ingestFiles, runChecks, type BuildOptions, type CheckResult, type LoadReport } from '../src';

export type FixtureRow = Record<string, string | number | null | undefined>;
/** Rows per export file, by table name; a column left out is written empty. */
export type LmsExport = Partial<Record<string, FixtureRow[]>>;
/** date, fiscal_year, fiscal_quarter, fiscal_period */
export type FiscalCalendarRow = [string, number, number, number];

/** Unix seconds of an ISO date or date-time (UTC), for the columns the LMS writes as integers. */
export const unix = (iso: string) => Math.floor(Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso) / 1000);

const DAY = 86400;
/** Unix seconds `days` after (or before, when negative) an ISO time. */
export const daysFrom = (iso: string, days: number) => unix(iso) + days * DAY;

const csvValue = (value: FixtureRow[string]) => {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** Writes the days given as the customer's fiscal calendar (dimdates.xlsx) into a folder; returns its path. */
export async function writeFiscalCalendar(dir: string, days: FiscalCalendarRow[]): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Calendar');
  sheet.addRow(['date', 'fiscal_year', 'fiscal_quarter', 'fiscal_period']);
  for (const [date, year, quarter, period] of days) sheet.addRow([new Date(`${date}T00:00:00Z`), year, quarter, period]);
  const file = path.join(dir, 'dimdates.xlsx');
  await workbook.xlsx.writeFile(file);
  return file;
}

/**
 * A tenant on a throwaway DuckDB warehouse, loaded and built through the same public paths the
 * worker uses (ingestFiles, buildTenant, runChecks).
 */
export class TestTenant {
  private loads = 0;
  readonly tenant = { tenantId: 't1', namespace: namespaceForTenantSeq(1) };

  private constructor(
    private readonly dir: string,
    readonly warehouse: DuckDbWarehouse,
  ) {}

  static async create(): Promise<TestTenant> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-gold-'));
    const warehouse = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), landingRoot: path.join(dir, 'landing'), threads: 2 });
    const t = new TestTenant(dir, warehouse);
    await warehouse.provision(t.tenant);
    return t;
  }

  /** Loads the files given; on the first load, required files not given are loaded empty. */
  async load(files: LmsExport, options: { fiscalCalendar?: FiscalCalendarRow[] } = {}): Promise<LoadReport> {
    const seq = ++this.loads;
    const landing = path.join(this.warehouse.landingDir(this.tenant), `load-${seq}`);
    fs.mkdirSync(landing, { recursive: true });
    const names = new Set(Object.keys(files));
    if (seq === 1) for (const spec of SOURCE_FILES.filter((s) => s.required)) names.add(spec.name);
    const paths: string[] = [];
    for (const name of names) {
      const spec = sourceFile(name);
      if (!spec) throw new Error(`${name} is not an export file`);
      const columns = spec.columns.map((c) => c.name);
      const lines = [columns.join(','), ...(files[name] ?? []).map((row) => columns.map((c) => csvValue(row[c])).join(','))];
      const file = path.join(landing, `${name}.csv`);
      fs.writeFileSync(file, lines.join('\n') + '\n');
      paths.push(file);
    }
    if (options.fiscalCalendar) paths.push(await writeFiscalCalendar(landing, options.fiscalCalendar));
    return ingestFiles(this.warehouse, this.tenant, paths.map((p) => ({ path: p })), {
      batchId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      source: 'test',
    });
  }

  async build(asOf: string, options: Pick<BuildOptions, 'fiscalYearStartMonth' | 'stages' | 'buildId' | 'onWarning' | 'onModel'> = {}) {
    return buildTenant(this.warehouse, this.tenant, { asOf: new Date(asOf), ...options });
  }

  async rows<R extends Row = Row>(sql: string, params: (string | number)[] = []): Promise<R[]> {
    return (await this.warehouse.query<R>(this.tenant, sql, params)).rows;
  }

  /** The one row the query returns (fails the test when there is not exactly one). */
  async row<R extends Row = Row>(sql: string, params: (string | number)[] = []): Promise<R> {
    const rows = await this.rows<R>(sql, params);
    if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}: ${sql}`);
    return rows[0];
  }

  async execute(sql: string): Promise<void> {
    await this.warehouse.execute(this.tenant, sql);
  }

  async checks(): Promise<CheckResult[]> {
    return this.warehouse.session(this.tenant, (session) => runChecks(session));
  }

  async close(): Promise<void> {
    await this.warehouse.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
