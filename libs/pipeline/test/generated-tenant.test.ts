import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateExport, type GenerateReport } from '@kineo/generator';
import { DuckDbWarehouse, namespaceForTenantSeq } from '@kineo/warehouse';
import { buildTenant, ingestFiles, runChecks } from '../src';
import { oracleHierarchy } from './hierarchy-oracle';

const tenant = { tenantId: 'gen', namespace: namespaceForTenantSeq(42) };
const asOf = new Date('2025-06-30T00:00:00Z');

/** Minimal CSV reading for the oracle: the generator quotes only text fields, never ids. */
function readCsv(file: string): Record<string, string>[] {
  const [head, ...lines] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  const names = head.split(',');
  return lines.map((line) => {
    const values = line.split(',');
    return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
  });
}

describe('a generated tenant', () => {
  let dir: string;
  let wh: DuckDbWarehouse;
  let report: GenerateReport;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-generated-'));
    wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), landingRoot: path.join(dir, 'landing'), threads: 2 });
    await wh.provision(tenant);
    const landing = path.join(wh.landingDir(tenant), 'export');
    report = await generateExport({ dir: landing, users: 1500, seed: 11, asOf, fiscalCalendar: true, timeFormat: 'mixed' });
    const files = fs.readdirSync(landing).map((f) => ({ path: path.join(landing, f) }));
    const load = await ingestFiles(wh, tenant, files, { batchId: '00000000-0000-4000-8000-0000000000aa', source: 'test' });
    expect(load.rowsQuarantined).toBe(0);
    await buildTenant(wh, tenant, { asOf, fiscalYearStartMonth: 7 });
  });

  afterAll(async () => {
    await wh.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads every generated row and builds with every check green', async () => {
    const checks = await wh.session(tenant, (s) => runChecks(s));
    expect(checks.filter((c) => c.status === 'failed')).toEqual([]);
    expect(checks.length).toBeGreaterThan(20);
  });

  it('has a hierarchy matching an independent walk over the generated job assignments, awkward cases included', async () => {
    const landing = path.join(wh.landingDir(tenant), 'export');
    const users = readCsv(path.join(landing, 'users.csv')).map((u) => ({ id: Number(u.id), deleted: u.deleted === '1' }));
    const toSeconds = (v: string) => (v === '' || v === '0' ? null : /^-?\d+$/.test(v) ? Number(v) : Date.parse(v.endsWith('Z') || v.length > 10 ? v : `${v}T00:00:00Z`) / 1000);
    const assignments = readCsv(path.join(landing, 'job_assignments.csv')).map((a) => ({
      id: Number(a.id),
      userid: Number(a.userid),
      sortorder: Number(a.sortorder),
      managerjaid: a.managerjaid === '' || a.managerjaid === '0' ? null : Number(a.managerjaid),
      tempmanagerjaid: a.tempmanagerjaid === '' || a.tempmanagerjaid === '0' ? null : Number(a.tempmanagerjaid),
      tempmanagerexpiry: toSeconds(a.tempmanagerexpirydate),
    }));
    const oracle = oracleHierarchy(users, assignments, asOf.getTime() / 1000);
    const key = (r: unknown[]) => r.join('|');
    const expected = new Set(oracle.relationships.map((r) => key([r.manager, r.user, r.relationship, r.depth])));
    const actual = (await wh.query(tenant, 'select manager_user_id, user_id, relationship, depth from silver.user_all_reports')).rows.map((r) =>
      key([r.manager_user_id, r.user_id, r.relationship, r.depth]),
    );
    expect(actual.length).toBe(expected.size);
    expect(actual.filter((k) => !expected.has(k))).toEqual([]);

    const cycles = (await wh.query(tenant, 'select user_id from silver.hierarchy_cycles order by 1')).rows.map((r) => r.user_id);
    expect(cycles).toEqual([...oracle.cycles.keys()].sort((a, b) => a - b));
    for (const cycle of report.cases.managerCycles) for (const user of cycle) expect(cycles).toContain(user);
    for (const user of report.cases.selfManaged) expect(cycles).toContain(user);
  });

  it('gives users whose manager was deleted or whose manager assignment is missing the unknown manager', async () => {
    const dangling = report.cases.danglingManagerAssignment;
    const rows = (await wh.query(tenant, `select user_key, manager_user_key from gold.dim_user where user_key in (${dangling.join(',')})`)).rows;
    expect(rows.length).toBe(dangling.length);
    expect(rows.every((r) => r.manager_user_key === -1)).toBe(true);
  });
});
