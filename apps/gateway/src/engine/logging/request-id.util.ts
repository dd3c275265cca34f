import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// Callers' ids end up in logs and response headers, so only short, plain tokens are trusted.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

const assigned = new WeakMap<IncomingMessage, string>();

/** The caller's `x-request-id` when it is a sane value, else undefined. */
export function acceptableRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && ACCEPTABLE_REQUEST_ID.test(value) ? value : undefined;
}

/**
 * The request's id, decided once: Fastify (request.id) and pino-http (reqId) both ask, and must
 * get the same answer even when it is generated.
 */
export function requestIdOf(req: IncomingMessage): string {
  let id = assigned.get(req);
  if (id === undefined) {
    id = acceptableRequestId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
    assigned.set(req, id);
  }
  return id;
}
