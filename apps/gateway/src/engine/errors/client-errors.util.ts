import { AUTH_ERROR_CODES } from '@kineo/auth';
import { TENANT_ERROR_CODES } from '@kineo/db';
import { isDomainError, type DomainError } from '@kineo/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

export const INTERNAL_ERROR_CODE = 'INTERNAL';
export const GRAPHQL_VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED';
export const BAD_REQUEST = 'BAD_REQUEST';
export const SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE';
/** Retry-After of a 503: a restarted or failed-over Postgres is usually back within seconds. */
export const RETRY_AFTER_UNAVAILABLE_SECONDS = 5;

/**
 * Domain errors written for operators (the CLI prints them): their messages name hosts, secrets and
 * commands, so a client gets a generic code and message instead, and the log gets the original.
 * The same for the warehouse being away for a moment (closing, or its reader process stopped and
 * starting again): the client is told the service is unavailable and to try again shortly.
 */
export const OPERATOR_ONLY_CODES: ReadonlySet<string> = new Set(['DATABASE_UNAVAILABLE', 'AUTH_SECRET_INVALID', 'WAREHOUSE_UNAVAILABLE']);

/**
 * Codes the libs the gateway calls raise for the person making the request. Every error of the
 * platform is a DomainError, but a warehouse, job or configuration failure is the platform's own
 * business, so the decision is made on the code, never on the message.
 */
const CLIENT_CODES: ReadonlySet<string> = new Set<string>([
  ...AUTH_ERROR_CODES,
  ...TENANT_ERROR_CODES,
  // The gateway's own sign-in throttle (engine/auth/login-throttle.service.ts).
  'TOO_MANY_ATTEMPTS',
  // Analytics: the query as asked (libs/analytics), the caller's scope, the data it needs, its time limit.
  'INVALID_QUERY',
  'INVALID_CURSOR',
  'UNKNOWN_DASHBOARD',
  'INVALID_SCOPE',
  'INVALID_OPTIONS',
  'INVALID_EXPORT',
  'MANAGER_NOT_LINKED',
  'NO_DATA',
  'DATA_VERSION_GONE',
  // A figure reading gold columns the published version (an earlier release's build) lacks, until its rebuild publishes.
  'NEEDS_NEXT_BUILD',
  'QUERY_TIMEOUT',
  'RATE_LIMITED',
  'TOO_MANY_EXPORTS',
  // Explore's saved views: one the caller cannot see.
  'VIEW_NOT_FOUND',
  // Onboarding and operations: paging, plan limits, tenant lifecycle.
  'BAD_USER_INPUT',
  'PLAN_LIMIT',
  'PLAN_UNCHANGED',
  'LOAD_NOT_FOUND',
  'CONFIRMATION_MISMATCH',
  // A fiscal-year start change that would reset published history, sent without confirmHistoryReset.
  'CONFIRMATION_REQUIRED',
  // A fiscal-year start change asked of a month that someone else changed since the caller read it.
  'CHANGED_MEANWHILE',
  'TENANT_STATUS_CONFLICT',
  // Identity: inviting every manager needs published data.
  'NO_PUBLISHED_DATA',
  // Resumable uploads: another request (on any gateway) is writing the upload, or the lock store is away.
  'UPLOAD_LOCKED',
  'UPLOAD_LOCKS_UNAVAILABLE',
  // Uploads: a file over the plan's upload limit (libs/db raises it for the CLI and landing drops too).
  'UPLOAD_TOO_LARGE',
  // The worker holds the tenant's working layers (a load or build): retryable, with retryAfterSeconds.
  'WAREHOUSE_BUSY',
]);

export type ErrorExposure = 'client' | 'unavailable' | 'internal';

/**
 * What a client may learn of an error: its code and message (`client`), only that the service is
 * unavailable, or only that it failed. The gateway's own errors that carry an HTTP status (uploads)
 * were written for the client.
 */
export function exposureOf(error: unknown): ErrorExposure {
  if (!isDomainError(error)) return 'internal';
  if (OPERATOR_ONLY_CODES.has(error.code)) return 'unavailable';
  const carriesStatus = typeof (error as { httpStatus?: unknown }).httpStatus === 'number';
  return CLIENT_CODES.has(error.code) || carriesStatus ? 'client' : 'internal';
}

export interface ClientErrors {
  /** What the client may see. */
  errors: GraphQLFormattedError[];
  /** Errors whose message was withheld or replaced; they belong in the server log. */
  hidden: GraphQLError[];
  /** Set when the request itself was unusable (unparsable, invalid against the schema). */
  statusCode?: number;
}

/**
 * Decides what a client learns about each error: a DomainError's code and message, a problem with
 * the query itself, or for anything else only that it failed and under which request id. Raw
 * driver, database and warehouse messages name hosts, tables and SQL, so they never pass.
 */
export function toClientErrors(errors: readonly GraphQLError[], requestId: string): ClientErrors {
  const result: ClientErrors = { errors: [], hidden: [] };
  for (const error of errors) {
    const original: unknown = error.originalError;
    const nested = (original as { errors?: unknown } | undefined)?.errors;
    if (Array.isArray(nested) && isMercuriusRequestError(original)) {
      // Mercurius wraps every syntax and validation error of one request in a single error.
      for (const inner of nested) result.errors.push(queryProblem(asGraphqlError(inner)));
      result.statusCode = statusCodeOf(original);
    } else if (original === undefined) {
      // graphql-js's own errors (validation, variable coercion) describe the query, not the server.
      result.errors.push(queryProblem(error));
    } else if (isMercuriusRequestError(original)) {
      result.errors.push(withCode(error, error.message, BAD_REQUEST));
      result.statusCode = statusCodeOf(original);
    } else {
      const client = clientErrorOf(original, requestId);
      if (client.hidden) result.hidden.push(error);
      result.errors.push(withCode(error, client.message, client.code, client.extensions));
    }
  }
  return result;
}

/** What a client learns of one error raised while answering it, and whether the log must keep the original. */
export interface ClientError {
  code: string;
  message: string;
  /** Beside the code: when to retry, which argument was wrong, or the request id to quote. */
  extensions: Record<string, unknown>;
  /** The message was withheld or replaced: the original belongs in the server log. */
  hidden: boolean;
}

/**
 * The one decision on what a client sees of an error, for a whole request's error and for a part of
 * an answer that failed alone (a dashboard tile): a client error's code and message, only that the
 * service is unavailable, or only that it failed and under which request id.
 */
export function clientErrorOf(error: unknown, requestId: string): ClientError {
  const exposure = exposureOf(error);
  if (exposure === 'unavailable') {
    return { code: SERVICE_UNAVAILABLE, message: `The service is temporarily unavailable; try again shortly (request id ${requestId}).`, extensions: { requestId }, hidden: true };
  }
  if (isDomainError(error) && exposure === 'client') return { code: error.code, message: error.message, extensions: clientDetails(error), hidden: false };
  return { code: INTERNAL_ERROR_CODE, message: `Internal error. Quote request id ${requestId} when reporting it.`, extensions: { requestId }, hidden: true };
}

/** The few details of a DomainError a client acts on (when to retry, which argument was wrong). */
const CLIENT_DETAILS = ['retryAfterSeconds', 'argument'] as const;

function clientDetails(error: DomainError): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  for (const key of CLIENT_DETAILS) if (error.details[key] !== undefined) details[key] = error.details[key];
  return details;
}

function queryProblem(error: GraphQLError): GraphQLFormattedError {
  return withCode(error, error.message, GRAPHQL_VALIDATION_FAILED);
}

function withCode(
  error: GraphQLError,
  message: string,
  code: string,
  extra: Record<string, unknown> = {},
): GraphQLFormattedError {
  return {
    message,
    ...(error.locations ? { locations: error.locations } : {}),
    ...(error.path ? { path: error.path } : {}),
    extensions: { code, ...extra },
  };
}

/** Errors Mercurius and Fastify raise about the HTTP request (bad JSON, invalid query, wrong method). */
function isMercuriusRequestError(error: unknown): boolean {
  const { code } = (error ?? {}) as { code?: unknown };
  const status = statusCodeOf(error);
  return (
    typeof code === 'string' &&
    (code.startsWith('MER_ERR_') || code.startsWith('FST_')) &&
    status !== undefined &&
    status >= 400 &&
    status < 500
  );
}

function statusCodeOf(error: unknown): number | undefined {
  const { statusCode } = (error ?? {}) as { statusCode?: unknown };
  return typeof statusCode === 'number' ? statusCode : undefined;
}

function asGraphqlError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GraphQLError(message);
}
