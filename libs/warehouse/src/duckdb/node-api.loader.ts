import { createRequire } from 'node:module';
import type * as NodeApi from '@duckdb/node-api';

let loaded: typeof NodeApi | undefined;

/**
 * `@duckdb/node-api`, loaded on first use: a process that never opens a DuckDB itself (a gateway
 * whose DuckDB runs in its reader process, see child-reader.ts) never maps libduckdb nor runs its
 * start-up, about 28 MiB of resident memory.
 */
export function duckdbNodeApi(): typeof NodeApi {
  loaded ??= createRequire(__filename)('@duckdb/node-api') as typeof NodeApi;
  return loaded;
}
