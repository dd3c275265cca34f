import { WarehouseError } from '../errors';

/**
 * Reading `@databricks/sql` failures. The driver throws several shapes: `StatusError` (a plain
 * object with `message`), `OperationStateError` (`errorCode` + the status `response`),
 * `THTTPException` (`statusCode`), node-fetch `FetchError` (`code`) and `HiveDriverError`.
 */
interface DriverFailure {
  name?: string;
  message?: string;
  code?: unknown;
  errorCode?: unknown;
  statusCode?: unknown;
  type?: unknown;
  response?: { displayMessage?: string | null; errorMessage?: string | null; sqlState?: string | null } | null;
}

function failure(error: unknown): DriverFailure {
  return error && typeof error === 'object' ? error : { message: String(error) };
}

/** The server's own text for a statement failure. */
export function serverMessage(error: unknown): string {
  const f = failure(error);
  return f.response?.displayMessage || f.response?.errorMessage || f.message || '';
}

const TRANSIENT_HTTP = new Set([429, 502, 503, 504]);
const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function httpStatus(error: unknown): number | undefined {
  const status = failure(error).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Worth retrying when the request was idempotent: throttling, a gateway hiccup, a dropped connection. */
export function isTransientError(error: unknown): boolean {
  const f = failure(error);
  const status = httpStatus(error);
  if (status !== undefined) return TRANSIENT_HTTP.has(status);
  if (typeof f.code === 'string' && TRANSIENT_NETWORK.has(f.code)) return true;
  const message = f.message ?? '';
  return /socket hang up|ECONNRESET|premature close|Max retry count exceeded|Retry timeout exceeded/i.test(message);
}

/** The server no longer knows the session (expired, closed by an admin, warehouse restarted). */
export function isInvalidSessionError(error: unknown): boolean {
  const message = serverMessage(error);
  return /INVALID_HANDLE\.SESSION|Invalid SessionHandle|session (?:was closed or )?has expired|session (?:does not exist|not found|is closed)/i.test(message);
}

export function isNotFoundNamespaceError(error: unknown): boolean {
  return /NO_SUCH_CATALOG_EXCEPTION|CATALOG_NOT_FOUND|SCHEMA_NOT_FOUND|NO_SUCH_SCHEMA/i.test(serverMessage(error));
}

export function isTimeoutError(error: unknown): boolean {
  const f = failure(error);
  return f.errorCode === 'TIMEOUT' || /QUERY_EXECUTION_TIMEOUT_EXCEEDED|STATEMENT_TIMEOUT_EXCEEDED/i.test(serverMessage(error));
}

/**
 * The first line of a server message with anything that could locate or unlock the service
 * removed: URLs, paths, workspace hosts, tokens, and engine suggestions (which may name other
 * namespaces). Table and column names stay, they are what makes the message useful.
 */
export function safeServerMessage(raw: string): string {
  let message = (raw.split(/\r?\n/)[0] ?? '')
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>')
    .replace(/(^|[\s'"`(=,])\/[^\s'"`),]+/g, '$1<path>')
    .replace(/\b[\w-]+(?:\.[\w-]+)*\.(?:azuredatabricks\.net|databricks\.com|windows\.net|amazonaws\.com|googleapis\.com)\b/gi, '<host>')
    .replace(/\bdapi[0-9a-f]{16,}(?:-\d+)?\b/gi, '<redacted>')
    .replace(/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '<redacted>')
    .replace(/\s*Did you mean[\s\S]*$/i, '')
    .trim();
  if (message.length > 300) message = `${message.slice(0, 297)}...`;
  return message;
}

/** The driver refused to carry out a staging answer: the local file is outside `stagingAllowedLocalPath`. */
export function isStagingRefusal(error: unknown): boolean {
  const f = failure(error);
  return (error as object | null)?.constructor?.name === 'StagingError' && /not a subset of allowed local paths/i.test(f.message ?? '');
}

/** Any other failure of a staging operation (the HTTP transfer, a bad answer). */
function isStagingError(error: unknown): boolean {
  return (error as object | null)?.constructor?.name === 'StagingError';
}

export type FailurePhase = 'statement' | 'session';

/** Every failure leaves the driver as a WarehouseError with a message safe to show. */
export function toWarehouseError(error: unknown, phase: FailurePhase = 'statement'): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const options = { cause: error };
  if (isTimeoutError(error)) {
    return new WarehouseError('WAREHOUSE_TIMEOUT', 'The statement ran longer than its time limit and was cancelled.', options);
  }
  const status = httpStatus(error);
  if (status === 401 || status === 403) {
    return new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse refused the credentials (HTTP ' + status + ').', options);
  }
  if (isTransientError(error)) {
    return new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse is unavailable at the moment; try again shortly.', options);
  }
  if (isInvalidSessionError(error)) {
    return new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse session expired; try again.', options);
  }
  if (isNotFoundNamespaceError(error) && phase === 'session') {
    return new WarehouseError('WAREHOUSE_NOT_PROVISIONED', "The tenant's warehouse namespace is not provisioned.", options);
  }
  if (isStagingError(error)) {
    return new WarehouseError('WAREHOUSE_UNAVAILABLE', 'Moving the file to or from the volume failed.', options);
  }
  const f = failure(error);
  const isStatementFailure = f.name === 'Status Error' || f.errorCode === 'ERROR' || !!f.response;
  if (isStatementFailure) {
    const message = safeServerMessage(serverMessage(error));
    return new WarehouseError('WAREHOUSE_QUERY_FAILED', message ? `The statement failed: ${message}` : 'The statement failed.', options);
  }
  if (status !== undefined) {
    return new WarehouseError('WAREHOUSE_UNAVAILABLE', `The warehouse answered HTTP ${status}.`, options);
  }
  return new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse request failed.', options);
}
