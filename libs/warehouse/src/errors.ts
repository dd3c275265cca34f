import { DomainError } from '@kineo/errors';

export type WarehouseErrorCode =
  | 'WAREHOUSE_IDENTIFIER_INVALID'
  | 'WAREHOUSE_NOT_PROVISIONED'
  | 'WAREHOUSE_NOT_PUBLISHED'
  | 'WAREHOUSE_VERSION_INVALID'
  | 'WAREHOUSE_READ_ONLY'
  | 'WAREHOUSE_QUERY_FAILED'
  | 'WAREHOUSE_TIMEOUT'
  | 'WAREHOUSE_UNAVAILABLE'
  /** Another process (the worker, during a load or build) holds the tenant's working file: retry later. */
  | 'WAREHOUSE_BUSY';

/**
 * A warehouse failure with a message safe to show. The engine's own message (which may name
 * files, tables or other internals) stays in `cause` for logs only.
 */
export class WarehouseError extends DomainError<WarehouseErrorCode> {
  constructor(
    code: WarehouseErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(code, message, options?.details ?? {}, options);
  }
}
