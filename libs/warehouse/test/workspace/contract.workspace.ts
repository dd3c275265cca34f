import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabricksWarehouse } from '../../src/databricks';
import { tenantA, tenantB, tenantC, warehouseContract } from '../contract';
import { assertAbsent, workspaceOptions } from './workspace';

const tenants = [tenantA, tenantB, tenantC];

warehouseContract('databricks (a real workspace)', async () => {
  const landingRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-dbx-workspace-'));
  const warehouse = new DatabricksWarehouse(workspaceOptions(landingRoot));
  try {
    await assertAbsent(warehouse, tenants);
  } catch (error) {
    await warehouse.close();
    throw error;
  }
  return {
    warehouse,
    landingRoot,
    cleanup: async () => {
      // The suite drops tenantB and tenantC itself; tenantA, and whatever a failed case left, go here, with a fresh client.
      const cleaner = new DatabricksWarehouse(workspaceOptions(landingRoot));
      try {
        for (const tenant of tenants) if (await cleaner.isProvisioned(tenant)) await cleaner.drop(tenant);
      } finally {
        await cleaner.close();
        fs.rmSync(landingRoot, { recursive: true, force: true });
      }
    },
  };
});
