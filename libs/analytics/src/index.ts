export * from './analytics.types';
export { AnalyticsQueryError } from './analytics-query.error';
