import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabricksWarehouse, type DatabricksWarehouseOptions } from '../src/databricks';
import { warehouseContract } from './contract';
import { startDatabricksTestServer } from './databricks-server';

async function subject(options: { catalogs?: string[]; isolation?: DatabricksWarehouseOptions['isolation'] } = {}) {
  const server = await startDatabricksTestServer({ catalogs: options.catalogs });
  const landingRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-dbx-landing-'));
  const warehouse = new DatabricksWarehouse({
    ...server.connection,
    isolation: options.isolation,
    landingRoot,
  });
  return {
    warehouse,
    landingRoot,
    cleanup: async () => {
      await server.close();
      fs.rmSync(landingRoot, { recursive: true, force: true });
    },
  };
}

warehouseContract('databricks (local protocol server, catalog per tenant)', () => subject());

warehouseContract('databricks (local protocol server, schemas in a shared catalog)', () =>
  subject({ catalogs: ['kineo_shared'], isolation: { mode: 'schema', catalog: 'kineo_shared' } }),
);
