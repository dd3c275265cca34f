export * from './ingest';
export * from './models';
