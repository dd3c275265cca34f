import type { Settings } from '@kineo/config';
import type { FastifyMultipartOptions } from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
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

/** The refusal of a file over the size limit, in units a person reads. */
export function tooLargeError(file: string, limit: number): UploadError {
  return new UploadError(
    'UPLOAD_TOO_LARGE',
    `The file "${file}" is larger than the upload limit of ${formatBytes(limit)} (${limit} bytes); nothing from this upload was kept.`,
    { file, limitBytes: limit },
  );
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Room for the multipart boundaries, part headers and form fields around the files themselves. */
const MULTIPART_OVERHEAD_BYTES = 1024 ** 2;

/** The most a multipart upload request may declare: all its files at their limit, within the request limit. */
export function maxUploadRequestBytes(settings: Pick<Settings, 'UPLOAD_MAX_BYTES' | 'UPLOAD_MAX_REQUEST_BYTES'>): number {
  return Math.min(settings.UPLOAD_MAX_REQUEST_BYTES, MAX_UPLOAD_FILES * settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES);
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
