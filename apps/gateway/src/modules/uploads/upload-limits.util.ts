import type { Settings } from '@kineo/config';
import type { FastifyMultipartOptions } from '@fastify/multipart';
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
