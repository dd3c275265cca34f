import type { Dialect, TenantNamespace, Warehouse, WarehouseSession } from '@kineo/warehouse';
import type { LoadFileCounts, LoadFileInput } from '../ingest/load-file.types';
import type { Model } from '../models/model';
import type { Sentinels } from '../models/silver-staging';
import { engineTableStorage } from './engine-tables.storage';
import { parquetFileStorage } from './parquet-files.storage';

/** The silver staging models of one build, with what goes around the silver stage that runs them. */
export interface SilverStaging {
  models: Model[];
  /** Before the silver stage runs. */
  beforeStage(): Promise<void>;
  /** After the silver stage has run. */
  afterStage(): void;
}

/**
 * How the pipeline writes what it writes in bulk (bronze loads, silver staging) on the storage
 * a warehouse has. The warehouse picks which (Warehouse.bulkStorage): the pipeline never asks
 * which engine it talks to.
 */
export interface LayerStorage {
  /** Creates one bronze table per contract file; idempotent. */
  ensureBronzeTables(session: WarehouseSession, dialect: Dialect): Promise<void>;
  /**
   * Removes what loads numbered `fromSeq` or later left in storage of its own (files), and
   * returns the bronze tables whose rows the caller deletes by `_batch_seq`.
   */
  clearBronzeFrom(fromSeq: number): string[];
  /** Loads one staged CSV file into bronze; null when a file of the same content was loaded before. */
  loadCsvFile(session: WarehouseSession, dialect: Dialect, input: LoadFileInput): Promise<LoadFileCounts | null>;
  /** The silver staging tables of a build, typed from bronze. */
  silverStaging(session: WarehouseSession, dialect: Dialect, sentinels: Sentinels): Promise<SilverStaging>;
}

export function layerStorage(warehouse: Warehouse, tenant: TenantNamespace): LayerStorage {
  return warehouse.bulkStorage(tenant, { localFiles: parquetFileStorage, engineTables: () => engineTableStorage });
}
