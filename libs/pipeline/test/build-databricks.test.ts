import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateExport } from '@kineo/generator';
import { DatabricksWarehouse, DuckDbWarehouse, namespaceForTenantSeq, type Warehouse } from '@kineo/warehouse';
import { startDatabricksTestServer, type DatabricksTestServer } from '@kineo/warehouse/test/databricks-server';
import { buildTenant, ingestFiles, runChecks, type CheckResult } from '../src';

const tenant = { tenantId: 'small', namespace: namespaceForTenantSeq(44) };
const asOf = new Date('2025-06-30T00:00:00Z');

/** A value as both drivers can agree on it: whole numbers as text, fractions to 6 places. */
function comparable(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(6);
  return value;
}

async function tableRows(wh: Warehouse, table: string): Promise<string[]> {
  const result = await wh.query(tenant, `select * from ${table}`);
  return result.rows.map((row) => JSON.stringify(Object.entries(row).map(([k, v]) => [k, comparable(v)]))).sort();
}

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
    await generateExport({ dir: exportDir, users: 60, seed: 7, asOf, fiscalCalendar: true, timeFormat: 'mixed' });
    for (const [name, wh] of [['duckdb', duck], ['databricks', dbx]] as const) {
      await wh.provision(tenant);
      // Each driver stages only from its own landing folder, so each gets its own copy.
      const landing = path.join(dir, `${name}-landing`, tenant.namespace, 'export');
      fs.cpSync(exportDir, landing, { recursive: true });
      const files = fs.readdirSync(landing).map((f) => ({ path: path.join(landing, f) }));
      const load = await ingestFiles(wh, tenant, files, { batchId: '00000000-0000-4000-8000-0000000000bb', source: 'test' });
      expect(load.rowsQuarantined).toBe(0);
      await buildTenant(wh, tenant, { asOf, fiscalYearStartMonth: 7 });
      checks[name] = await wh.session(tenant, (s) => runChecks(s));
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

  it('passes every quality check on both, with the same reconciliation counts', async () => {
    expect(checks.duckdb.filter((c) => c.status === 'failed')).toEqual([]);
    expect(checks.databricks.filter((c) => c.status === 'failed')).toEqual([]);
    expect(checks.databricks).toEqual(checks.duckdb);
  });

  it('gives the same rows in every gold table', async () => {
    const tables = (await duck.tableCounts(tenant, 'gold')).map((c) => `gold.${c.table}`);
    const differing: string[] = [];
    for (const table of tables) {
      const [a, b] = await Promise.all([tableRows(duck, table), tableRows(dbx, table)]);
      if (JSON.stringify(a) !== JSON.stringify(b)) differing.push(`${table}: ${a.find((r, i) => r !== b[i])} vs ${b.find((r, i) => r !== a[i])}`);
    }
    expect(differing).toEqual([]);
  });
});
