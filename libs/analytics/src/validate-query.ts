import type { AnalyticsQuery } from './analytics.types';
import { planQuery } from './compiler/resolve';

/** Checks a query's shape and every member against the model; throws AnalyticsQueryError (INVALID_QUERY) naming what is wrong. */
export function validateQuery(query: unknown): AnalyticsQuery {
  return planQuery(query).query;
}
