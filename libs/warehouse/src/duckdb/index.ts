export * from './duckdb-warehouse';
