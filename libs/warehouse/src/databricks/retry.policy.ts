import { isInvalidSessionError, isTransientError } from './driver-errors.util';

export interface RetryLimits {
  /** Further tries after a transient failure: 429, 502-504, a dropped connection. */
  retries: number;
  /** The wait before the first of them; each next one waits twice as long. */
  backoffMs: number;
}

/** What one failed try of a statement had got to. */
export interface FailedTry {
  error: unknown;
  /** A read: sending it again changes nothing. */
  idempotent: boolean;
  /** The session came from a pool that can open a fresh one (not one pinned for a session() call). */
  reopenable: boolean;
  /** A session had been obtained. */
  leased: boolean;
  /** The server had accepted the statement. */
  sent: boolean;
}

/**
 * The driver's one answer to "try again?" for a statement, kept per statement. A write is never
 * sent twice once the server has accepted it (it may have happened), so it is retried only when
 * it never got that far: once on a fresh session when the server rejected the session (expired),
 * and with backoff when opening a session failed transiently. A read may be sent again at any
 * point until its first page is in hand.
 */
export class RetryPolicy {
  private sessionRenewed = false;
  private transientRetries = 0;

  constructor(private readonly limits: RetryLimits) {}

  /** Milliseconds to wait before trying again, or null to give up with this failure. */
  next(failed: FailedTry): number | null {
    if (isInvalidSessionError(failed.error) && failed.reopenable && !this.sessionRenewed && (failed.idempotent || !failed.sent)) {
      this.sessionRenewed = true;
      return 0;
    }
    if (isTransientError(failed.error) && (failed.idempotent || !failed.leased) && this.transientRetries < this.limits.retries) {
      return this.limits.backoffMs * 2 ** this.transientRetries++;
    }
    return null;
  }
}
