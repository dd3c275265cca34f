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

/** JSON text, as a string or as its UTF-8 bytes (a cached answer's rows, read from Redis as they were stored). */
export type JsonText = string | Buffer;

/** Puts JSON text in the reply where the returned value stands. */
export type JsonFragment = (json: JsonText) => string;

declare module 'fastify' {
  interface FastifyRequest {
    kineoJsonFragments: JsonText[] | null;
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
    if (fragments.every((f) => typeof f === 'string')) {
      done(
        null,
        payload.replace(PLACEHOLDER, (_match, index: string) => fragments[Number(index)]),
      );
      return;
    }
    // Bytes stay bytes: the reply is the serialised text around them, encoded once, and the stored rows as read.
    const parts: Buffer[] = [];
    let from = 0;
    for (const match of payload.matchAll(PLACEHOLDER)) {
      const fragment = fragments[Number(match[1])];
      parts.push(Buffer.from(payload.slice(from, match.index)), typeof fragment === 'string' ? Buffer.from(fragment) : fragment);
      from = match.index + match[0].length;
    }
    parts.push(Buffer.from(payload.slice(from)));
    done(null, Buffer.concat(parts));
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
