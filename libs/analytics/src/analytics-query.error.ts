import { DomainError } from '@kineo/errors';

export type AnalyticsQueryErrorCode = 'INVALID_QUERY' | 'INVALID_CURSOR' | 'UNKNOWN_DASHBOARD' | 'INVALID_SCOPE' | 'INVALID_OPTIONS';

/**
 * A query, drill or dashboard request the model cannot answer as asked. Its message is safe to
 * show a caller: it names what was wrong and what exists instead.
 */
export class AnalyticsQueryError extends DomainError<AnalyticsQueryErrorCode> {}
