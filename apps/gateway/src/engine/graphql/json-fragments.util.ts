import { randomBytes } from 'node:crypto';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { requestOf } from '../auth/request-auth.util';

/**
 * A cached answer's rows are stored as JSON text. Parsing them only for the reply to serialise them
 * again was the largest cost of a cached dashboard (and `JSON.rawJSON` needs Node 21+), so a
 * resolver puts a placeholder string where the rows go and the reply's text gets the stored JSON
 * spliced in. The placeholder carries a random per-process nonce: no value in the data can be
 * mistaken for one, and only the fragments this request registered are spliced.
 */
const NONCE = randomBytes(12).toString('hex');
const PREFIX = `kineo-json-fragment:${NONCE}:`;
// JSON.stringify leaves the placeholder's characters as they are, quotes around it.
const PLACEHOLDER = new RegExp(`"${PREFIX}(\\d+)"`, 'g');

/** Puts JSON text in the reply where the returned value stands. */
export type JsonFragment = (json: string) => string;

declare module 'fastify' {
  interface FastifyRequest {
    kineoJsonFragments: string[] | null;
  }
}

/** Splices each request's fragments into its serialised reply; before any hook that would encode or compress the payload. */
export function installJsonFragments(fastify: FastifyInstance): void {
  fastify.decorateRequest('kineoJsonFragments', null);
  fastify.addHook('onSend', (request, _reply, payload, done) => {
    const fragments = request.kineoJsonFragments;
    if (!fragments || typeof payload !== 'string') {
      done(null, payload);
      return;
    }
    request.kineoJsonFragments = null;
    done(
      null,
      payload.replace(PLACEHOLDER, (_match, index: string) => fragments[Number(index)]),
    );
  });
}

/**
 * A function registering JSON text for this request's reply. (A function, not the request: Nest
 * awaits a thenable parameter, and a Fastify reply is one.)
 */
export const JsonFragments = createParamDecorator((_data: unknown, context: ExecutionContext): JsonFragment => {
  const request = requestOf(context);
  return (json) => {
    const fragments = (request.kineoJsonFragments ??= []);
    fragments.push(json);
    return `${PREFIX}${fragments.length - 1}`;
  };
});
