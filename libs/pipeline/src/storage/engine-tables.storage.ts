import { ALL_FILES } from '@kineo/contract';
import { bronzeTableDdl } from '../ingest/bronze';
import { loadCsvFileDatabricks } from '../ingest/databricks-loader';
import { tableSilverStagingModel } from '../models/silver-staging';
import type { LayerStorage } from './layer-storage';

/**
 * Bronze loads and silver staging as the engine's own tables (Databricks Delta, which is Parquet
 * files too), written with INSERT and CREATE OR REPLACE TABLE: nothing lives outside them.
 */
export const engineTableStorage: LayerStorage = {
  async ensureBronzeTables(session, dialect) {
    for (const spec of ALL_FILES) await session.execute(bronzeTableDdl(spec, dialect));
  },
  clearBronzeFrom() {
    return ALL_FILES.map((spec) => `bronze.${spec.name}`);
  },
  loadCsvFile: loadCsvFileDatabricks,
  async silverStaging(_session, dialect, sentinels) {
    return {
      models: ALL_FILES.map((spec) => tableSilverStagingModel(spec, dialect, sentinels)),
      beforeStage: async () => undefined,
      afterStage: () => undefined,
    };
  },
};
