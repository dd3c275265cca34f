export * from './duckdb-warehouse';
export * from './child-reader';
