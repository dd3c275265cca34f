import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import { LandingRepository } from './landing.repository';
import { LoadRequestService, type LandedFile } from './load-request.service';
import { ResumableUploadsRepository, type ResumableUpload } from './resumable-uploads.repository';
import { ResumableUploadsService } from './resumable-uploads.service';
import { safeUploadName, uploadedAs } from './upload-file-name.util';
import { UploadError } from './uploads.exception';
import { completionSchema, parseRequest } from './uploads.schemas';
import type { UploadReceipt } from './uploads.types';

/** `POST /uploads/complete`: one load of resumable uploads the caller has finished sending. */
@Injectable()
export class UploadCompletionService {
  constructor(
    private readonly landing: LandingRepository,
    private readonly loads: LoadRequestService,
    private readonly resumable: ResumableUploadsService,
    private readonly resumableUploads: ResumableUploadsRepository,
  ) {}

  /**
   * Starts one load of finished resumable uploads: their bytes go into a new run, exactly where a
   * multipart upload would have streamed them (with LANDING_STORE=azure-blob, straight into the
   * container), and the load goes the same way from there.
   * A refusal leaves every upload as it was, so the load can be asked for again.
   */
  async complete(tenant: TenantContext, body: unknown): Promise<UploadReceipt> {
    const { uploadIds, asOf } = parseRequest(completionSchema, body);
    await this.loads.assertReady(tenant);
    // Checked once before locking, so asking too early does not interrupt an upload still running.
    await this.finishedUploads(tenant, uploadIds);
    const releases: Array<() => Promise<void>> = [];
    try {
      for (const id of [...uploadIds].sort()) releases.push(await this.resumableUploads.lock(id));
      const uploads = await this.finishedUploads(tenant, uploadIds);
      const ingestionRunId = randomUUID();
      const dir = this.landing.runDir(tenant.namespace, ingestionRunId);
      const files: LandedFile[] = [];
      const taken: Array<() => Promise<void>> = [];
      const undo = async () => {
        for (const restore of taken) await restore();
        await this.landing.remove(dir);
      };
      try {
        await this.landing.createRunDir(dir);
        for (const { upload, name } of uploads) {
          const { path, measured, restore } = await this.resumableUploads.takeInto(upload, { namespace: tenant.namespace, ingestionRunId }, name);
          taken.push(restore);
          files.push({ name, path, bytes: upload.size, measured, ...uploadedAs(upload.fileName, name) });
        }
      } catch (error) {
        await undo();
        throw error;
      }
      const receipt = await this.loads.start(tenant, { ingestionRunId, files, asOf }, undo);
      // The load has started; a record left behind without its file is answered as gone (410) by tus.
      for (const { upload } of uploads) await this.resumableUploads.forget(tenant.namespace, upload.id).catch(() => undefined);
      return receipt;
    } finally {
      for (const release of releases) await release();
    }
  }

  /** The caller's uploads, each finished, under the safe names they will land with, none twice. */
  private async finishedUploads(tenant: TenantContext, uploadIds: string[]): Promise<{ upload: ResumableUpload; name: string }[]> {
    const found: { upload: ResumableUpload; name: string }[] = [];
    for (const id of uploadIds) {
      const upload = await this.resumable.ownUpload(tenant, id);
      if (upload.offset !== upload.size) {
        throw new UploadError(
          'UPLOAD_INCOMPLETE',
          `The file "${upload.fileName}" is not finished: ${upload.offset} of ${upload.size} bytes received. Resume its upload, then start the load again.`,
          { file: upload.fileName, uploadId: id, bytesReceived: upload.offset, bytesTotal: upload.size },
        );
      }
      const name = safeUploadName(upload.fileName);
      const twin = found.find((f) => f.name.toLowerCase() === name.toLowerCase());
      if (twin) {
        throw new UploadError('UPLOAD_FILE_DUPLICATE', `The file "${upload.fileName}" is in the load twice (as "${name}").`, { file: upload.fileName });
      }
      found.push({ upload, name });
    }
    return found;
  }
}
