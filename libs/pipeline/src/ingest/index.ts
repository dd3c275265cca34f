export * from './errors';
export * from './header';
export * from './ingest';
export * from './bronze';
export { keyValue, lineBreakCheck } from './validation';
export { shiftsPastBlankLines } from './source-lines';
