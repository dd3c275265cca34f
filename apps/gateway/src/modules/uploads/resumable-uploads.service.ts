import { Injectable } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import { UploadTooLargeError, type UploadLimit } from '@kineo/db';
import { LoadRequestService } from './load-request.service';
import { fileNameInHeader, ResumableUploadsRepository, type ResumableUpload } from './resumable-uploads.repository';
import { safeUploadName } from './upload-file-name.util';
import { UploadError } from './uploads.exception';

/** The checks around each tus request: who may create, ask about, resume or end which upload. */
@Injectable()
export class ResumableUploadsService {
  constructor(
    private readonly loads: LoadRequestService,
    private readonly resumableUploads: ResumableUploadsRepository,
  ) {}

  /**
   * One tus request (`@tus/server` speaks the protocol): creating an upload of the caller's tenant,
   * or asking about, resuming or ending one of the caller's own. Anyone else's is the same 404 as
   * an upload that does not exist.
   */
  async handle(tenant: TenantContext, request: Request, uploadId?: string): Promise<Response> {
    // The plan's limit in force now: tus announces it (Tus-Max-Size) and holds every request to it.
    const limit = await this.loads.uploadLimit(tenant);
    if (request.method === 'POST') await this.assertCreatable(tenant, request.headers, limit);
    else if (uploadId !== undefined) {
      const upload = await this.ownUpload(tenant, uploadId);
      // The plan may have been changed to a smaller one since the upload was created.
      if (request.method === 'PATCH' && upload.size > limit.limitBytes) throw new UploadTooLargeError(upload.fileName, limit, upload.size);
    }
    return this.resumableUploads.handle(tenant.namespace, tenant.userId, request, limit.limitBytes);
  }

  /** The caller's own upload; anything else, another tenant's or another admin's, is not found. */
  async ownUpload(tenant: TenantContext, uploadId: string): Promise<ResumableUpload> {
    const upload = await this.resumableUploads.find(tenant.namespace, uploadId);
    if (!upload || upload.ownerId !== tenant.userId) {
      throw new UploadError('UPLOAD_NOT_FOUND', `No upload "${uploadId}" of yours is waiting: it may have been loaded or dropped already, or have expired.`, {
        uploadId,
      });
    }
    return upload;
  }

  /** A new resumable upload must name an acceptable file and declare a size within the limit. */
  private async assertCreatable(tenant: TenantContext, headers: Headers, limit: UploadLimit): Promise<void> {
    await this.loads.assertActive(tenant);
    const sent = fileNameInHeader(headers.get('upload-metadata'));
    if (!sent) {
      throw new UploadError(
        'UPLOAD_METADATA_INVALID',
        sent === null
          ? 'The Upload-Metadata header is not valid tus metadata (comma-separated "key base64value" pairs).'
          : 'Name the file: send its name as "filename" in Upload-Metadata (tus-js-client: metadata: { filename: file.name }).',
      );
    }
    safeUploadName(sent);
    const length = headers.get('upload-length');
    if (length === null || !/^\d{1,16}$/.test(length)) {
      throw new UploadError('UPLOAD_LENGTH_REQUIRED', `Send the size of "${sent}" in bytes as Upload-Length; uploads of unknown size are not taken.`, {
        file: sent,
      });
    }
    if (Number(length) > limit.limitBytes) throw new UploadTooLargeError(sent, limit, Number(length));
  }
}
