import { createRequire } from 'node:module';
import type * as DatabricksSql from '@databricks/sql';

let loaded: typeof DatabricksSql | undefined;

/**
 * `@databricks/sql`, loaded on first use: processes on DuckDB never load it (nor Thrift, Arrow and
 * the rest under it), and test suites that import `@kineo/warehouse` without using Databricks do
 * not need Jest to transform the ESM-only `uuid` 13 that its `thrift` dependency requires.
 */
export function databricksSql(): typeof DatabricksSql {
  loaded ??= createRequire(__filename)('@databricks/sql') as typeof DatabricksSql;
  return loaded;
}
