import type { TileError } from './analytics.types';

/**
 * Codes a second ask can cure: the warehouse's time limit under load, a version replaced mid-query,
 * a failure of the service's own. A figure waiting for its organisation's next build is not one of
 * them: asking again answers the same until the rebuild publishes.
 */
const RETRYABLE = new Set(['QUERY_TIMEOUT', 'DATA_VERSION_GONE', 'INTERNAL', 'SERVICE_UNAVAILABLE', 'WAREHOUSE_BUSY']);

export function isRetryable(error: TileError): boolean {
  return RETRYABLE.has(error.code);
}

/**
 * What stands in a tile's frame when its figure failed: the gateway's message, where the chart would
 * be, and for a failure worth retrying a button that asks for the dashboard again (the other tiles
 * come back from the cache). A status, not an alert: the rest of the dashboard is there to read.
 */
export function TileProblem({ error, onRetry, retrying }: { error: TileError; onRetry: () => void; retrying: boolean }) {
  const retryable = isRetryable(error);
  return (
    <div className={`notice tile-problem${retryable ? ' error' : ''}`} role="status" data-code={error.code}>
      <p>{error.message}</p>
      {retryable ? (
        <button type="button" className="button small" onClick={onRetry} disabled={retrying}>
          {retrying ? 'Trying again…' : 'Try again'}
        </button>
      ) : null}
    </div>
  );
}
