export * from './analytics.types';
export { AnalyticsQueryError } from './analytics-query.error';
export { validateQuery } from './validate-query';
export { compileQuery } from './compiler/compile-query';
export { compileDrill, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './compiler/compile-drill';
export { DEFAULT_LIMIT, MAX_LIMIT } from './compiler/query.schema';
export { describeModel } from './describe-model';
export { queryIdentity } from './identity.util';
