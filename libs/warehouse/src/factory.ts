import path from 'node:path';
import type { SecretStore, Settings } from '@kineo/config';
import { createDatabricksWarehouse } from './databricks/factory';
import { ChildReaderWarehouse, type ReaderEvent } from './child-reader';
import { DuckDbWarehouse, type DuckDbWarehouseOptions } from './duckdb';
import { isTracing } from '@kineo/telemetry';
import { tracedWarehouse } from './traced-warehouse';
import type { Warehouse } from './types';

export type WarehouseRole = 'worker' | 'reader';

/** How long a reader keeps an idle snapshot (DuckDB) open, and an idle reader process running. */
const READER_IDLE_MS = 300_000;

export interface WarehouseOptions {
  /** Where the driver reports what it recovered from by itself (the process's logger); stderr unless set. */
  warn?: (message: string) => void;
  /** With WAREHOUSE_READER=child-process: told each time the reader process starts or stops. */
  readerEvents?: (event: ReaderEvent) => void;
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
  if (role === 'reader' && settings.WAREHOUSE_READER === 'child-process') {
    // The reader process runs what the lines below would run here. Idle as long as a snapshot's
    // handle may stay open idle, it stops; the next request starts it again.
    const rootDir = settings.WAREHOUSE_ENGINE === 'duckdb' ? duckdbDirectories(settings).rootDir : undefined;
    return ChildReaderWarehouse.fromSettings(settings, { rootDir, statementTimeoutMs }, { warn: options.warn, events: options.readerEvents, idleExitMs: READER_IDLE_MS });
  }
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
      idleMs: role === 'worker' ? 5_000 : READER_IDLE_MS,
      statementTimeoutMs,
    };
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
