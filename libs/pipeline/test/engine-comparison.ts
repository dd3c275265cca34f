import fs from 'node:fs';
import path from 'node:path';
import { generateExport } from '@kineo/generator';
import type { TenantNamespace, Warehouse } from '@kineo/warehouse';
import { buildTenant, ingestFiles, runChecks, type CheckResult } from '../src';

export const SMALL_TENANT_AS_OF = new Date('2025-06-30T00:00:00Z');

/** A small export (a few dozen users, every file of the contract), the same for every engine. */
export async function generateSmallExport(dir: string): Promise<void> {
  await generateExport({ dir, users: 60, seed: 7, asOf: SMALL_TENANT_AS_OF, fiscalCalendar: true, timeFormat: 'mixed' });
}

/**
 * Loads the export into a provisioned tenant and builds every layer; returns the build's checks.
 * Each driver stages only from its own landing folder, so the export is copied into it first.
 */
export async function loadAndBuild(wh: Warehouse, tenant: TenantNamespace, exportDir: string, landingRoot: string): Promise<CheckResult[]> {
  const landing = path.join(landingRoot, tenant.namespace, 'export');
  fs.cpSync(exportDir, landing, { recursive: true });
  const files = fs.readdirSync(landing).map((f) => ({ path: path.join(landing, f) }));
  const load = await ingestFiles(wh, tenant, files, { batchId: '00000000-0000-4000-8000-0000000000bb', source: 'test' });
  if (load.rowsQuarantined !== 0) throw new Error(`${load.rowsQuarantined} rows of the generated export were quarantined`);
  await buildTenant(wh, tenant, { asOf: SMALL_TENANT_AS_OF, fiscalYearStartMonth: 7 });
  return wh.session(tenant, (s) => runChecks(s));
}

/** A value as both drivers can agree on it: whole numbers as text, fractions to 6 places. */
function comparable(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(6);
  return value;
}

async function tableRows(wh: Warehouse, tenant: TenantNamespace, table: string): Promise<string[]> {
  const result = await wh.query(tenant, `select * from ${table}`);
  return result.rows.map((row) => JSON.stringify(Object.entries(row).map(([k, v]) => [k, comparable(v)]))).sort();
}

/** Every gold table whose rows differ between the two builds, with the first row that differs on each side. */
export async function goldDifferences(a: Warehouse, b: Warehouse, tenant: TenantNamespace): Promise<string[]> {
  const differing: string[] = [];
  for (const { table } of await a.tableCounts(tenant, 'gold')) {
    const [left, right] = await Promise.all([tableRows(a, tenant, `gold.${table}`), tableRows(b, tenant, `gold.${table}`)]);
    if (JSON.stringify(left) !== JSON.stringify(right)) {
      differing.push(`gold.${table}: ${left.find((r, i) => r !== right[i])} vs ${right.find((r, i) => r !== left[i])}`);
    }
  }
  return differing;
}
