import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Injectable } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import type { Settings } from '@kineo/config';
import { UploadTooLargeError, type UploadLimit } from '@kineo/db';
import { InjectSettings } from '../../engine/config/settings.module';
import { LandingRepository } from './landing.repository';
import { LoadRequestService, type LandedFile } from './load-request.service';
import { safeUploadName, uploadedAs } from './upload-file-name.util';
import { assertDeclaredWithinPlan, MAX_UPLOAD_FILES } from './upload-limits.util';
import { UploadError } from './uploads.exception';
import { parseRequest, uploadFormFieldSchema } from './uploads.schemas';
import type { UploadPart, UploadReceipt } from './uploads.types';

/** One multipart request as the service needs it: what it declares, and its parts read under a file size limit. */
export interface MultipartRequest {
  declaredBytes: number | undefined;
  parts(fileSizeLimit: number): AsyncIterable<UploadPart>;
}

/** `POST /uploads`: the files of one load in one multipart request. */
@Injectable()
export class MultipartUploadsService {
  constructor(
    @InjectSettings() private readonly settings: Settings,
    private readonly landing: LandingRepository,
    private readonly loads: LoadRequestService,
  ) {}

  /**
   * Streams each file into a new landing folder for the tenant, then records the load and starts
   * its flow. Any refusal removes what was written, so a refused upload leaves nothing behind.
   */
  async receive(tenant: TenantContext, request: MultipartRequest): Promise<UploadReceipt> {
    await this.loads.assertReady(tenant);
    const limit = await this.loads.uploadLimit(tenant);
    if (request.declaredBytes !== undefined) assertDeclaredWithinPlan(request.declaredBytes, limit, this.settings);
    const parts = request.parts(limit.limitBytes);
    const ingestionRunId = randomUUID();
    const dir = this.landing.runDir(tenant.namespace, ingestionRunId);
    const files: LandedFile[] = [];
    let asOf: Date | undefined;
    try {
      for await (const part of parts) {
        if (part.type === 'field') {
          asOf = parseRequest(uploadFormFieldSchema, { [part.fieldname]: part.value }).asOf;
          continue;
        }
        // A form's file input left empty still sends a part, with no name and no content.
        if (part.filename === '') {
          part.file.resume();
          continue;
        }
        const name = safeUploadName(part.filename);
        if (files.some((f) => f.name.toLowerCase() === name.toLowerCase())) {
          throw new UploadError('UPLOAD_FILE_DUPLICATE', `The file "${part.filename}" is in the upload twice (as "${name}").`, { file: part.filename });
        }
        if (files.length === 0) await this.landing.createRunDir(dir);
        // Stop reading at the limit rather than discarding the rest of a huge file first.
        part.file.once('limit', () => part.file.destroy(new UploadTooLargeError(part.filename, limit)));
        const bytes = await this.landing.write(dir, name, part.file);
        if (part.file.truncated) throw new UploadTooLargeError(part.filename, limit);
        files.push({ name, path: path.join(dir, name), bytes, ...uploadedAs(part.filename, name) });
      }
      if (files.length === 0) {
        throw new UploadError('UPLOAD_EMPTY', 'The upload has no files; attach the LMS export files (.csv or .xlsx).');
      }
    } catch (error) {
      await this.landing.remove(dir);
      throw this.asUploadError(error, limit);
    }
    return this.loads.start(tenant, { ingestionRunId, files, asOf }, () => this.landing.remove(dir));
  }

  /** @fastify/multipart's own errors (FST_*) as upload errors, with a message about the upload. */
  private asUploadError(error: unknown, limit: UploadLimit): unknown {
    if (error instanceof UploadError || error instanceof UploadTooLargeError) return error;
    const { code, part } = (error ?? {}) as { code?: unknown; part?: { filename?: string } };
    switch (code) {
      case 'FST_REQ_FILE_TOO_LARGE':
        return new UploadTooLargeError(part?.filename ?? '(unnamed)', limit);
      case 'FST_FILES_LIMIT':
      case 'FST_PARTS_LIMIT':
      case 'FST_FIELDS_LIMIT':
        return new UploadError('UPLOAD_TOO_MANY_PARTS', `An upload takes at most ${MAX_UPLOAD_FILES} files; send the rest in another upload.`);
      case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
        return new UploadError('UPLOAD_NOT_MULTIPART', 'Send the files as multipart/form-data.');
      default:
        if (typeof code === 'string' && code.startsWith('FST_')) {
          return new UploadError('UPLOAD_INTERRUPTED', 'The upload was cut short or malformed; send it again.');
        }
        if (error instanceof Error && /Unexpected end of (form|multipart data)|Part terminated early|Malformed/i.test(error.message)) {
          return new UploadError('UPLOAD_INTERRUPTED', 'The upload was cut short or malformed; send it again.');
        }
        return error;
    }
  }
}
