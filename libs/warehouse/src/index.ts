export * from './types';
export * from './errors';
export * from './namespace';
export * from './dialect';
export * from './read-only';
export * from './handle-cache';
export * from './duckdb';
export * from './factory';
