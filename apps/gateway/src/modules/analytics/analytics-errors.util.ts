import { AnalyticsQueryError } from '@kineo/analytics';
import { DomainError } from '@kineo/errors';
import { WarehouseError } from '@kineo/warehouse';

/**
 * Turns what the semantic layer and the warehouse raise into errors a client may see. A query the
 * model refuses keeps its code and message (they name what was wrong); a statement over the time
 * limit is QUERY_TIMEOUT; any other warehouse failure is left as it is, so the error formatter logs it
 * and the client learns only INTERNAL and the request id.
 */
export function toAnalyticsError(error: unknown, timeoutMs: number): unknown {
  if (error instanceof AnalyticsQueryError) return new DomainError(error.code, error.message);
  if (error instanceof WarehouseError && error.code === 'WAREHOUSE_TIMEOUT') {
    return new DomainError(
      'QUERY_TIMEOUT',
      `The query ran longer than ${formatSeconds(timeoutMs)}, the limit for one query, and was stopped. Narrow it with filters or a shorter date range, or export it instead.`,
      { limitMs: timeoutMs },
    );
  }
  if (error instanceof WarehouseError && error.code === 'WAREHOUSE_VERSION_INVALID') {
    return new DomainError('DATA_VERSION_GONE', 'The data was replaced by a newer version while this query waited. Ask again.');
  }
  return error;
}

export function noDataYet(): DomainError {
  return new DomainError('NO_DATA', 'No data has been published for your organisation yet: load an LMS export first; the dashboards fill once its build is published.');
}

/**
 * A figure whose cubes read gold columns the tenant's published version lacks: built by an earlier
 * release, its rebuild is queued by the worker's start-up scan. Not an internal error: the caller
 * learns why and when it fills; the rest of the product answers meanwhile.
 */
export function needsNextBuild(missing: string[]): DomainError {
  return new DomainError(
    'NEEDS_NEXT_BUILD',
    "This figure needs the organisation's next build (queued): the data published now was built by an earlier release and lacks what this figure reads. The other figures answer meanwhile.",
    { missing },
  );
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
