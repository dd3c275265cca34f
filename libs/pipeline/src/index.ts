export * from './ingest';
export * from './models';
export * from './checks';
