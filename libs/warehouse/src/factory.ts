import path from 'node:path';
import type { SecretStore, Settings } from '@kineo/config';
import { createDatabricksWarehouse } from './databricks/factory';
import { ChildReaderWarehouse, DuckDbWarehouse, type DuckDbWarehouseOptions } from './duckdb';
import { isTracing } from '@kineo/telemetry';
import { tracedWarehouse } from './traced-warehouse';
import type { Warehouse } from './types';

export type WarehouseRole = 'worker' | 'reader';

export interface WarehouseOptions {
  /** Where the driver reports what it recovered from by itself (the process's logger); stderr unless set. */
  warn?: (message: string) => void;
}

/**
 * The warehouse the settings select (the Databricks driver itself loads only on first use). The worker keeps working areas open only briefly (it is
 * their only writer, and other processes may need to read them); readers keep snapshots open.
 */
export async function createWarehouse(settings: Settings, secrets: SecretStore, role: WarehouseRole, options: WarehouseOptions = {}): Promise<Warehouse> {
  const warehouse = await engineWarehouse(settings, secrets, role, options);
  // Spans only when this process traces (startTracing ran first): otherwise calls go straight to the driver.
  return isTracing() ? tracedWarehouse(warehouse) : warehouse;
}

async function engineWarehouse(settings: Settings, secrets: SecretStore, role: WarehouseRole, options: WarehouseOptions): Promise<Warehouse> {
  const statementTimeoutMs = statementTimeoutFor(settings, role);
  if (settings.WAREHOUSE_ENGINE === 'duckdb') {
    const duckdb: DuckDbWarehouseOptions = {
      ...duckdbDirectories(settings),
      threads: settings.DUCKDB_THREADS,
      memoryLimit: role === 'reader' ? (settings.DUCKDB_READER_MEMORY_LIMIT ?? settings.DUCKDB_MEMORY_LIMIT) : settings.DUCKDB_MEMORY_LIMIT,
      maxOpenTenants: settings.DUCKDB_MAX_OPEN_TENANTS,
      maxOpenSnapshots: settings.DUCKDB_MAX_OPEN_SNAPSHOTS,
      idleSnapshotMemory: role === 'reader' && settings.DUCKDB_IDLE_SNAPSHOT_MEMORY !== 'off' ? settings.DUCKDB_IDLE_SNAPSHOT_MEMORY : undefined,
      idleSnapshotDelayMs: settings.DUCKDB_IDLE_SNAPSHOT_DELAY_MS,
      warn: options.warn,
      idleMs: role === 'worker' ? 5_000 : 300_000,
      statementTimeoutMs,
    };
    // A reader process idle as long as its snapshots' handles stops with them: the next request starts it again.
    if (role === 'reader' && settings.DUCKDB_READER === 'child-process') return new ChildReaderWarehouse({ ...duckdb, idleExitMs: duckdb.idleMs });
    return new DuckDbWarehouse(duckdb);
  }
  return createDatabricksWarehouse(settings, secrets, statementTimeoutMs);
}

/** Where the DuckDB driver keeps each tenant's warehouse (`<rootDir>/<namespace>/`) and its landing area. */
export function duckdbDirectories(settings: Pick<Settings, 'KINEO_DATA_DIR'>): { rootDir: string; landingRoot: string } {
  const dataDir = path.resolve(settings.KINEO_DATA_DIR);
  return { rootDir: path.join(dataDir, 'warehouse'), landingRoot: path.join(dataDir, 'landing') };
}

/** Readers answer people, so a runaway query stops soon; the worker's loads and builds take as long as the data needs. */
export function statementTimeoutFor(settings: Settings, role: WarehouseRole): number {
  return role === 'worker' ? settings.WAREHOUSE_BUILD_STATEMENT_TIMEOUT_MS : settings.WAREHOUSE_STATEMENT_TIMEOUT_MS;
}
