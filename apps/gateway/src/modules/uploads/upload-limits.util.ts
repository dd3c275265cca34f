import type { Settings } from '@kineo/config';
import type { FastifyMultipartOptions } from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { UploadLimit } from '@kineo/db';
import { UploadError } from './uploads.exception';

/** A load takes at most this many files (the ingest job's limit). */
export const MAX_UPLOAD_FILES = 100;

/** @fastify/multipart's limits: the per-file size from settings, and small bounds on everything else. */
export function multipartOptions(settings: Pick<Settings, 'UPLOAD_MAX_BYTES'>): FastifyMultipartOptions {
  return {
    limits: {
      fileSize: settings.UPLOAD_MAX_BYTES,
      files: MAX_UPLOAD_FILES,
      fields: 5,
      fieldSize: 1024,
      parts: MAX_UPLOAD_FILES + 5,
    },
  };
}

/** Room for the multipart boundaries, part headers and form fields around the files themselves. */
const MULTIPART_OVERHEAD_BYTES = 1024 ** 2;

/** The most a multipart upload request may declare: all its files at their limit, within the request limit. */
export function maxUploadRequestBytes(settings: Pick<Settings, 'UPLOAD_MAX_BYTES' | 'UPLOAD_MAX_REQUEST_BYTES'>): number {
  return Math.min(settings.UPLOAD_MAX_REQUEST_BYTES, MAX_UPLOAD_FILES * settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES);
}

/**
 * A multipart request declaring more than its tenant's plan allows (every file at the plan's limit)
 * is refused from its Content-Length, before the body is read: the global hook below has let it
 * through, not knowing the tenant yet.
 */
export function assertDeclaredWithinPlan(declared: number, limit: UploadLimit, settings: Pick<Settings, 'UPLOAD_MAX_BYTES' | 'UPLOAD_MAX_REQUEST_BYTES'>): void {
  const requestLimit = Math.min(maxUploadRequestBytes(settings), MAX_UPLOAD_FILES * limit.limitBytes + MULTIPART_OVERHEAD_BYTES);
  if (!(declared > requestLimit)) return;
  throw new UploadError(
    'UPLOAD_TOO_LARGE',
    `The upload declares ${declared} bytes, over the limit of ${requestLimit} bytes for one request on the ${limit.plan} plan ` +
      `(files of at most ${limit.limitBytes} bytes each); nothing from this upload was kept.`,
    { declaredBytes: declared, limitBytes: requestLimit, fileLimitBytes: limit.limitBytes, plan: limit.plan },
  );
}

/**
 * Refuses a multipart upload whose declared Content-Length is over the limit with 413 from the
 * header alone, before a byte of the body is read or anyone is authenticated: otherwise the server
 * would wait on (and a client could tie up a connection with) gigabytes it will refuse anyway.
 */
export function refuseOversizedUploads(fastify: FastifyInstance, settings: Pick<Settings, 'UPLOAD_MAX_BYTES' | 'UPLOAD_MAX_REQUEST_BYTES'>): void {
  const limit = maxUploadRequestBytes(settings);
  fastify.addHook('onRequest', (request, reply, done) => {
    const declared = Number(request.headers['content-length']);
    if (request.method !== 'POST' || request.url.split('?')[0] !== '/uploads' || !(declared > limit)) return done();
    // The body is never read, so the connection cannot be reused for another request.
    void reply
      .code(413)
      .header('connection', 'close')
      .send({
        statusCode: 413,
        code: 'UPLOAD_TOO_LARGE',
        message: `The upload declares ${declared} bytes, over the limit of ${limit} bytes for one request; send big files with resumable uploads.`,
        details: { declaredBytes: declared, limitBytes: limit },
      });
  });
}
