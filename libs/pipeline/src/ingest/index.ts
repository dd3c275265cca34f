export * from './errors';
export * from './header';
export * from './ingest';
export * from './bronze';
export { keyValue } from './validation';
