import type { Settings } from '@kineo/config';
import type { FastifyMultipartOptions } from '@fastify/multipart';

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
