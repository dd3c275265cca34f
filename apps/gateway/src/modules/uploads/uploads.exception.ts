import { DomainError } from '@kineo/errors';
import type { HttpStatusCarrier } from '../../engine/errors/http-error.filter';

const STATUS = {
  UPLOAD_NOT_MULTIPART: 415,
  UPLOAD_EMPTY: 400,
  UPLOAD_FILE_NAME_INVALID: 400,
  UPLOAD_FILE_DUPLICATE: 400,
  UPLOAD_FIELD_INVALID: 400,
  UPLOAD_TOO_LARGE: 413,
  UPLOAD_TOO_MANY_PARTS: 413,
  UPLOAD_INTERRUPTED: 400,
  UPLOAD_METADATA_INVALID: 400,
  UPLOAD_LENGTH_REQUIRED: 400,
  UPLOAD_NOT_FOUND: 404,
  UPLOAD_INCOMPLETE: 409,
  UPLOAD_LOCKED: 423,
  UPLOAD_LOCKS_UNAVAILABLE: 503,
  TENANT_NOT_READY: 409,
  UPLOAD_QUEUE_UNAVAILABLE: 503,
} as const;

export type UploadErrorCode = keyof typeof STATUS;

/** Why an upload was refused, with the HTTP status that says so. */
export class UploadError extends DomainError<UploadErrorCode> implements HttpStatusCarrier {
  readonly httpStatus: number;

  constructor(
    code: UploadErrorCode,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, details);
    this.httpStatus = STATUS[code];
  }
}
