import path from 'node:path';
import type { SecretStore, Settings } from '@kineo/config';
import { createDatabricksWarehouse } from './databricks/factory';
import { DuckDbWarehouse } from './duckdb';
import type { Warehouse } from './types';

export type WarehouseRole = 'worker' | 'reader';

/**
 * The warehouse the settings select (the Databricks driver itself loads only on first use). The worker keeps working areas open only briefly (it is
 * their only writer, and other processes may need to read them); readers keep snapshots open.
 */
export async function createWarehouse(settings: Settings, secrets: SecretStore, role: WarehouseRole): Promise<Warehouse> {
  if (settings.WAREHOUSE_ENGINE === 'duckdb') {
    const dataDir = path.resolve(settings.KINEO_DATA_DIR);
    return new DuckDbWarehouse({
      rootDir: path.join(dataDir, 'warehouse'),
      landingRoot: path.join(dataDir, 'landing'),
      threads: settings.DUCKDB_THREADS,
      memoryLimit: settings.DUCKDB_MEMORY_LIMIT,
      maxOpenTenants: settings.DUCKDB_MAX_OPEN_TENANTS,
      maxOpenSnapshots: settings.DUCKDB_MAX_OPEN_SNAPSHOTS,
      idleMs: role === 'worker' ? 5_000 : 300_000,
      statementTimeoutMs: settings.WAREHOUSE_STATEMENT_TIMEOUT_MS,
    });
  }
  return createDatabricksWarehouse(settings, secrets);
}
