import { ALL_FILES } from '@kineo/contract';
import type { LocalTableFiles } from '@kineo/warehouse';
import { parquetBronze } from '../ingest/bronze';
import { loadCsvFile } from '../ingest/duckdb-loader';
import { parquetSilverFiles, parquetSilverStagingModel } from '../models/silver-staging';
import type { LayerStorage } from './layer-storage';

/**
 * Bronze loads and silver staging as Parquet files in the tenant's folders behind views, written
 * with DuckDB's SQL (its CSV reader with rejects, COPY ... TO): see parquetBronze and
 * parquetSilverFiles for why files.
 */
export function parquetFileStorage(files: LocalTableFiles): LayerStorage {
  const bronze = parquetBronze(files);
  return {
    async ensureBronzeTables(session, dialect) {
      for (const spec of ALL_FILES) await bronze.ensureView(session, dialect, spec);
    },
    clearBronzeFrom(fromSeq) {
      bronze.removeFrom(fromSeq);
      return [];
    },
    loadCsvFile: (session, dialect, input) => loadCsvFile(session, dialect, input, bronze.fileFor(input.spec, input.batchSeq)),
    async silverStaging(session, dialect, sentinels) {
      const silver = parquetSilverFiles(session, files);
      return {
        models: ALL_FILES.map((spec) => parquetSilverStagingModel(spec, dialect, sentinels, silver.file(spec.name))),
        beforeStage: () => silver.dropTables(),
        afterStage: () => silver.removeOthers(),
      };
    },
  };
}
