import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RESUMABLE_PATH } from './resumable-uploads.repository';

const TUS_BODY = 'application/offset+octet-stream';
const TUS_VERSION = '1.0.0';
const ON_TUS_PATH = new RegExp(`^${RESUMABLE_PATH}(?:[/?]|$)`);

/**
 * Lets tus requests through Fastify untouched: a PATCH body streams straight to the upload's file
 * (Fastify neither reads nor size-limits it), and every response on the tus path says which
 * protocol version it speaks, the gateway's own refusals (401, 403, 404, 413) included.
 */
export function registerResumableTransport(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(TUS_BODY, (_request, _payload, done) => done(null));
  fastify.addHook('onRequest', (request, reply, done) => {
    if (ON_TUS_PATH.test(request.url)) reply.header('Tus-Resumable', TUS_VERSION);
    done();
  });
}

/** The request as a Fetch API Request for `@tus/server`, its body still streaming from the socket. */
export function toWebRequest(request: FastifyRequest, uploadId?: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const hasBody = request.method === 'POST' || request.method === 'PATCH';
  // Built from the route, not the request's URL: tus takes the upload id from the last path segment.
  const url = new URL(uploadId === undefined ? RESUMABLE_PATH : `${RESUMABLE_PATH}/${uploadId}`, 'http://gateway.invalid');
  return new Request(url, {
    method: request.method,
    headers,
    body: hasBody ? readWhenAsked(request.raw) : null,
    duplex: 'half',
  });
}

/**
 * The body, read from the socket only once tus reads it: a request refused before then (not the
 * caller's upload, too large) leaves its bytes to Node, which discards them after the reply.
 */
function readWhenAsked(source: Readable): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= (Readable.toWeb(source) as ReadableStream<Uint8Array>).getReader();
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader?.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Sends tus's answer through Fastify, so hooks (request id, metrics) see it like any other. */
export async function sendWebResponse(reply: FastifyReply, response: Response): Promise<void> {
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  reply.status(response.status);
  response.headers.forEach((value, name) => {
    if (name !== 'content-length') reply.header(name, value);
  });
  void reply.send(body);
}
