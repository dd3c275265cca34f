import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabricksWarehouse, DuckDbWarehouse, namespaceForTenantSeq } from '@kineo/warehouse';
import { startDatabricksTestServer, type DatabricksTestServer } from '@kineo/warehouse/test/databricks-server';
import { buildTenant, ingestFiles, type CheckResult } from '../src';
import { writeFiscalCalendar, type FiscalCalendarRow } from './gold-fixtures';
import { generateSmallExport, goldDifferences, loadAndBuild, SMALL_TENANT_AS_OF } from './engine-comparison';

const tenant = { tenantId: 'small', namespace: namespaceForTenantSeq(44) };

/**
 * The same small generated export built by the same models on DuckDB and, in the Databricks
 * dialect, through the Databricks driver against the local protocol server (DuckDB behind the
 * Databricks wire protocol, translating the Databricks SQL it receives).
 */
describe('a small tenant built on DuckDB and through the Databricks driver', () => {
  let dir: string;
  let server: DatabricksTestServer;
  let duck: DuckDbWarehouse;
  let dbx: DatabricksWarehouse;
  const checks: Record<string, CheckResult[]> = {};

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-two-engines-'));
    server = await startDatabricksTestServer();
    duck = new DuckDbWarehouse({ rootDir: path.join(dir, 'duckdb'), landingRoot: path.join(dir, 'duckdb-landing'), threads: 1 });
    dbx = new DatabricksWarehouse({ ...server.connection, landingRoot: path.join(dir, 'databricks-landing') });
    const exportDir = path.join(dir, 'export');
    await generateSmallExport(exportDir);
    for (const [name, wh] of [['duckdb', duck], ['databricks', dbx]] as const) {
      await wh.provision(tenant);
      checks[name] = await loadAndBuild(wh, tenant, exportDir, path.join(dir, `${name}-landing`));
    }
  });

  afterAll(async () => {
    await duck?.close();
    await dbx?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('builds every gold table with the same number of rows', async () => {
    const duckCounts = await duck.tableCounts(tenant, 'gold');
    expect(duckCounts.length).toBeGreaterThan(15);
    expect(duckCounts.filter((c) => c.rows === 0)).toEqual([]);
    expect(await dbx.tableCounts(tenant, 'gold')).toEqual(duckCounts);
  });

  it('passes every quality check on both, with the same reconciliation counts', () => {
    expect(checks.duckdb.filter((c) => c.status === 'failed')).toEqual([]);
    expect(checks.databricks.filter((c) => c.status === 'failed')).toEqual([]);
    expect(checks.databricks).toEqual(checks.duckdb);
  });

  it('gives the same rows in every gold table', async () => {
    expect(await goldDifferences(duck, dbx, tenant)).toEqual([]);
  });

  it('reads a multi-SCO package passed only when every SCO passed, the same on both engines', async () => {
    const disagreeing = `
      select count(*) as n from gold.fact_scorm
      where (scorm_version = '1.2' and lower(status) = 'passed' and not passed)
         or (lower(status) in ('passed', 'completed') and not is_complete)`;
    for (const wh of [duck, dbx]) {
      const [multi] = (await wh.query(tenant, 'select count(*) as n from gold.fact_scorm where scos > 1')).rows;
      expect(Number(multi.n)).toBeGreaterThan(0);
      const [bad] = (await wh.query(tenant, disagreeing)).rows;
      expect(Number(bad.n)).toBe(0);
    }
  });

  it('sent the models to the server in the Databricks dialect', () => {
    const statements = server.recorder.statementsLike(/^create or replace table gold\.dim_date\b/).map((s) => s.sql);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/date_format\(calendar_day, 'yyyyMMdd'\)/);
  });

  it('rebuilds the fiscal-year history the same way on both after a changed dimdates.xlsx, only the years it changed', async () => {
    // June 2024 moves from FY2024 to FY2025 in the customer's calendar (the export's starts in July)
    const june: FiscalCalendarRow[] = Array.from({ length: 30 }, (_, i) => [`2024-06-${String(i + 1).padStart(2, '0')}`, 2025, 1, 1]);
    const warnings: Record<string, string[]> = { duckdb: [], databricks: [] };
    const keptYears = 'select history, fiscal_year, fiscal_year_end, closed_as_of from silver.history_years where fiscal_year not in (2024, 2025) order by 1, 2';
    const keptBefore = { duckdb: (await duck.query(tenant, keptYears)).rows, databricks: (await dbx.query(tenant, keptYears)).rows };
    expect(keptBefore.duckdb.length).toBeGreaterThan(0);
    for (const [name, wh] of [['duckdb', duck], ['databricks', dbx]] as const) {
      const landing = path.join(dir, `${name}-landing`, tenant.namespace, 'calendar');
      fs.mkdirSync(landing, { recursive: true });
      await ingestFiles(wh, tenant, [{ path: await writeFiscalCalendar(landing, june) }], { batchId: '00000000-0000-4000-8000-0000000000cc', source: 'test' });
      await buildTenant(wh, tenant, { asOf: SMALL_TENANT_AS_OF, fiscalYearStartMonth: 7, onWarning: (_stage, w) => void warnings[name].push(w) });
    }
    expect(warnings.databricks).toEqual(warnings.duckdb);
    expect(warnings.duckdb).toEqual([expect.stringContaining('fiscal calendar changed (FY2025 ran 2024-07-01 to 2025-06-30, now 2024-06-01 to 2025-06-30 and 1 more year)')]);
    const archived = 'select table_name, archived_rows from silver.history_archive_log order by 1';
    expect((await dbx.query(tenant, archived)).rows.map((r) => [r.table_name, Number(r.archived_rows)])).toEqual(
      (await duck.query(tenant, archived)).rows.map((r) => [r.table_name, Number(r.archived_rows)]),
    );
    expect(warnings.duckdb[0]).toContain('FY2024 rebuilt from completion dates, so it shows completions only, and FY2025 (the current year) observed from this build; the 12 other years');
    const archivedYears = 'select distinct fiscal_year from silver.history_years_archive order by 1';
    for (const wh of [duck, dbx]) expect((await wh.query(tenant, archivedYears)).rows.map((r) => Number(r.fiscal_year))).toEqual([2024]);
    expect((await duck.query(tenant, keptYears)).rows).toEqual(keptBefore.duckdb);
    expect((await dbx.query(tenant, keptYears)).rows).toEqual(keptBefore.databricks);
    expect(await goldDifferences(duck, dbx, tenant)).toEqual([]);
  });
});
