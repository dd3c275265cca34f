import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabricksWarehouse, DuckDbWarehouse, namespaceForTenantSeq } from '@kineo/warehouse';
import { assertAbsent, workspaceOptions } from '@kineo/warehouse/test/workspace/workspace';
import type { CheckResult } from '../../src';
import { generateSmallExport, goldDifferences, loadAndBuild } from '../engine-comparison';

// The last six-character namespace: no real tenant's sequence gets near it.
const tenant = { tenantId: 'workspace-load', namespace: namespaceForTenantSeq(36 ** 6 - 1) };

describe('a small load on a real Databricks workspace', () => {
  let dir: string;
  let dbx: DatabricksWarehouse;
  let duck: DuckDbWarehouse;
  let provisioned = false;
  let checks: CheckResult[];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-workspace-load-'));
    dbx = new DatabricksWarehouse(workspaceOptions(path.join(dir, 'databricks-landing')));
    duck = new DuckDbWarehouse({ rootDir: path.join(dir, 'duckdb'), landingRoot: path.join(dir, 'duckdb-landing'), threads: 1 });
    await assertAbsent(dbx, [tenant]);
    const exportDir = path.join(dir, 'export');
    await generateSmallExport(exportDir);
    await dbx.provision(tenant);
    provisioned = true;
    checks = await loadAndBuild(dbx, tenant, exportDir, path.join(dir, 'databricks-landing'));
    await duck.provision(tenant);
    await loadAndBuild(duck, tenant, exportDir, path.join(dir, 'duckdb-landing'));
  });

  afterAll(async () => {
    if (provisioned) await dbx.drop(tenant).catch((error: unknown) => console.error(`could not drop ${tenant.namespace}:`, error));
    await dbx?.close();
    await duck?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads and builds a generated export with every check green', () => {
    expect(checks.filter((c) => c.status === 'failed')).toEqual([]);
  });

  it('builds the gold tables the DuckDB build of the same export has, row for row', async () => {
    expect(await dbx.tableCounts(tenant, 'gold')).toEqual(await duck.tableCounts(tenant, 'gold'));
    expect(await goldDifferences(duck, dbx, tenant)).toEqual([]);
  });

  it('publishes the build and serves it read-only', async () => {
    await dbx.publish(tenant, 1);
    const served = await dbx.queryPublished(tenant, 'select count(*) as n from gold.dim_user');
    const built = await duck.query(tenant, 'select count(*) as n from gold.dim_user');
    expect(served.rows).toEqual(built.rows);
  });
});
