import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Injectable } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import type { Settings } from '@kineo/config';
import type { PrismaClient, StageRecord } from '@kineo/db';
import { requestLoad, type JobQueues } from '@kineo/jobs';
import type { Redis } from 'ioredis';
import { InjectSettings } from '../../engine/config/settings.module';
import { InjectPrisma } from '../../engine/database/database.module';
import { InjectJobQueues } from '../../engine/queue/queue.module';
import { InjectRedis } from '../../engine/redis/redis.module';
import { LandingRepository } from './landing.repository';
import { fileNameInHeader, ResumableUploadsRepository, type ResumableUpload } from './resumable-uploads.repository';
import { safeUploadName } from './upload-file-name.util';
import { MAX_UPLOAD_FILES } from './upload-limits.util';
import { UploadError } from './uploads.exception';
import type { UploadPart, UploadReceipt, UploadStatus } from './uploads.types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
// The pipeline's contract rejections are written for the customer; anything else may name internals.
const CUSTOMER_FACING_FAILURE = /^The load was rejected/;

@Injectable()
export class UploadsService {
  constructor(
    @InjectPrisma() private readonly prisma: PrismaClient,
    @InjectJobQueues() private readonly queues: JobQueues,
    @InjectRedis() private readonly redis: Redis,
    @InjectSettings() private readonly settings: Settings,
    private readonly landing: LandingRepository,
    private readonly resumableUploads: ResumableUploadsRepository,
  ) {}

  /**
   * Streams each file into a new landing folder for the tenant, then records the load and starts
   * its flow. Any refusal removes what was written, so a refused upload leaves nothing behind.
   */
  async receive(tenant: TenantContext, parts: AsyncIterable<UploadPart>): Promise<UploadReceipt> {
    await this.assertReady(tenant);
    const ingestionRunId = randomUUID();
    const dir = this.landing.runDir(tenant.namespace, ingestionRunId);
    const files: LandedFile[] = [];
    let asOf: Date | undefined;
    try {
      for await (const part of parts) {
        if (part.type === 'field') {
          asOf = parseAsOf(part.fieldname, part.value);
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
        part.file.once('limit', () => part.file.destroy(this.tooLarge(part.filename)));
        const bytes = await this.landing.write(dir, name, part.file);
        if (part.file.truncated) throw this.tooLarge(part.filename);
        files.push({ name, path: path.join(dir, name), bytes });
      }
      if (files.length === 0) {
        throw new UploadError('UPLOAD_EMPTY', 'The upload has no files; attach the LMS export files (.csv or .xlsx).');
      }
    } catch (error) {
      await this.landing.remove(dir);
      throw this.asUploadError(error);
    }
    return this.startLoad(tenant, { ingestionRunId, files, asOf }, () => this.landing.remove(dir));
  }

  /**
   * One tus request (`@tus/server` speaks the protocol): creating an upload of the caller's tenant,
   * or asking about, resuming or ending one of the caller's own. Anyone else's is the same 404 as
   * an upload that does not exist.
   */
  async resumable(tenant: TenantContext, request: Request, uploadId?: string): Promise<Response> {
    if (request.method === 'POST') await this.assertCreatable(tenant, request.headers);
    else if (uploadId !== undefined) await this.ownUpload(tenant, uploadId);
    return this.resumableUploads.handle(tenant.namespace, tenant.userId, request);
  }

  /**
   * Starts one load of finished resumable uploads: their files move into a new run folder, exactly
   * where `receive` would have streamed them, and the load goes the same way from there. A refusal
   * leaves every upload as it was, so the load can be asked for again.
   */
  async complete(tenant: TenantContext, body: unknown): Promise<UploadReceipt> {
    const { uploadIds, asOf } = parseCompletion(body);
    await this.assertReady(tenant);
    // Checked once before locking, so asking too early does not interrupt an upload still running.
    await this.finishedUploads(tenant, uploadIds);
    const releases: Array<() => Promise<void>> = [];
    try {
      for (const id of [...uploadIds].sort()) releases.push(await this.resumableUploads.lock(id));
      const uploads = await this.finishedUploads(tenant, uploadIds);
      const ingestionRunId = randomUUID();
      const dir = this.landing.runDir(tenant.namespace, ingestionRunId);
      const files: LandedFile[] = [];
      const moved: { from: string; to: string }[] = [];
      const undo = async () => {
        for (const { from, to } of moved) await this.landing.moveBack(to, from);
        await this.landing.remove(dir);
      };
      try {
        await this.landing.createRunDir(dir);
        for (const { upload, name } of uploads) {
          const to = await this.landing.moveIn(upload.path, dir, name);
          moved.push({ from: upload.path, to });
          files.push({ name, path: to, bytes: upload.size });
        }
      } catch (error) {
        await undo();
        throw error;
      }
      const receipt = await this.startLoad(tenant, { ingestionRunId, files, asOf }, undo);
      // The load has started; a record left behind without its file is answered as gone (410) by tus.
      for (const { upload } of uploads) await this.resumableUploads.forget(tenant.namespace, upload.id).catch(() => undefined);
      return receipt;
    } finally {
      for (const release of releases) await release();
    }
  }

  /** A load of the caller's tenant; another tenant's (or no) load is the same 404. */
  async status(tenant: TenantContext, ingestionRunId: string): Promise<UploadStatus> {
    const run = UUID.test(ingestionRunId)
      ? await this.prisma.ingestionRun.findFirst({
          where: { id: ingestionRunId, tenantId: tenant.tenantId },
          include: { buildRuns: { orderBy: { createdAt: 'desc' }, take: 1 } },
        })
      : null;
    if (!run) throw new UploadError('UPLOAD_NOT_FOUND', `No upload "${ingestionRunId}" in your organisation.`);
    const build = run.buildRuns[0];
    const stages = ((build?.stages ?? []) as unknown as StageRecord[]).map(({ error, ...stage }) => ({
      ...stage,
      ...(error ? { error: safeFailure(error, run.id) } : {}),
    }));
    return {
      ingestionRunId: run.id,
      status: run.status,
      source: run.source,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      error: run.error ? safeFailure(run.error, run.id) : null,
      rowsRead: Number(run.rowsRead),
      rowsLoaded: Number(run.rowsLoaded),
      rowsQuarantined: Number(run.rowsQuarantined),
      files: Array.isArray(run.files) ? run.files : [],
      build: build
        ? {
            buildRunId: build.id,
            status: build.status,
            asOf: build.asOf,
            dataVersion: build.dataVersion,
            error: build.error ? safeFailure(build.error, run.id) : null,
            stages,
          }
        : null,
    };
  }

  /** Records the load of files already in its run folder and starts its flow; `undo` takes them back out. */
  private async startLoad(
    tenant: TenantContext,
    load: { ingestionRunId: string; files: LandedFile[]; asOf: Date | undefined },
    undo: () => Promise<void>,
  ): Promise<UploadReceipt> {
    const { ingestionRunId, files, asOf } = load;
    try {
      const ticket = await requestLoad(this.prisma, this.queues, {
        tenantId: tenant.tenantId,
        ingestionRunId,
        files: files.map((f) => ({ name: f.name, path: f.path })),
        source: 'upload',
        requestedBy: tenant.userId,
        asOf,
      });
      return { ingestionRunId, buildRunId: ticket.buildRunId, asOf: ticket.asOf, files: files.map(({ name, bytes }) => ({ name, bytes })) };
    } catch (error) {
      await undo();
      const failed = { status: 'failed' as const, error: 'The load could not be queued.', finishedAt: new Date() };
      await this.prisma.ingestionRun.updateMany({ where: { id: ingestionRunId }, data: failed });
      await this.prisma.buildRun.updateMany({ where: { ingestionRunId }, data: failed });
      throw error;
    }
  }

  /** A new resumable upload must name an acceptable file and declare a size within the limit. */
  private async assertCreatable(tenant: TenantContext, headers: Headers): Promise<void> {
    await this.assertActive(tenant);
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
    if (Number(length) > this.settings.UPLOAD_MAX_BYTES) throw this.tooLarge(sent);
  }

  /** The caller's own upload; anything else, another tenant's or another admin's, is not found. */
  private async ownUpload(tenant: TenantContext, uploadId: string): Promise<ResumableUpload> {
    const upload = await this.resumableUploads.find(tenant.namespace, uploadId);
    if (!upload || upload.ownerId !== tenant.userId) {
      throw new UploadError('UPLOAD_NOT_FOUND', `No upload "${uploadId}" of yours is waiting: it may have been loaded or dropped already, or have expired.`, {
        uploadId,
      });
    }
    return upload;
  }

  /** The caller's uploads, each finished, under the safe names they will land with, none twice. */
  private async finishedUploads(tenant: TenantContext, uploadIds: string[]): Promise<{ upload: ResumableUpload; name: string }[]> {
    const found: { upload: ResumableUpload; name: string }[] = [];
    for (const id of uploadIds) {
      const upload = await this.ownUpload(tenant, id);
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

  private async assertActive(tenant: TenantContext): Promise<void> {
    const { status, slug } = await this.prisma.tenant.findUniqueOrThrow({ where: { id: tenant.tenantId }, select: { status: true, slug: true } });
    if (status !== 'active') {
      throw new UploadError('TENANT_NOT_READY', `The organisation "${slug}" is still being set up; uploads open once it is active.`);
    }
  }

  private async assertReady(tenant: TenantContext): Promise<void> {
    await this.assertActive(tenant);
    // BullMQ waits for Redis indefinitely; better to refuse before taking gigabytes of files.
    try {
      await this.redis.ping();
    } catch {
      throw new UploadError('UPLOAD_QUEUE_UNAVAILABLE', 'Uploads are unavailable for a moment; try again shortly.');
    }
  }

  private tooLarge(file: string): UploadError {
    const limit = this.settings.UPLOAD_MAX_BYTES;
    return new UploadError(
      'UPLOAD_TOO_LARGE',
      `The file "${file}" is larger than the upload limit of ${formatBytes(limit)} (${limit} bytes); nothing from this upload was kept.`,
      { file, limitBytes: limit },
    );
  }

  /** @fastify/multipart's own errors (FST_*) as upload errors, with a message about the upload. */
  private asUploadError(error: unknown): unknown {
    if (error instanceof UploadError) return error;
    const { code, part } = (error ?? {}) as { code?: unknown; part?: { filename?: string } };
    switch (code) {
      case 'FST_REQ_FILE_TOO_LARGE':
        return this.tooLarge(part?.filename ?? '(unnamed)');
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

interface LandedFile {
  name: string;
  path: string;
  bytes: number;
}

/** `{ "uploadIds": [...], "asOf"?: "2025-06-30" }`, the body of `POST /uploads/complete`. */
function parseCompletion(body: unknown): { uploadIds: string[]; asOf: Date | undefined } {
  const usage = 'Send JSON such as { "uploadIds": ["<id from the upload\'s URL>"], "asOf": "2025-06-30" } (asOf is optional).';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UploadError('UPLOAD_FIELD_INVALID', usage);
  const { uploadIds, asOf, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw new UploadError('UPLOAD_FIELD_INVALID', `Unknown field "${unknown}". ${usage}`, { field: unknown });
  }
  if (!Array.isArray(uploadIds) || uploadIds.some((id) => typeof id !== 'string')) {
    throw new UploadError('UPLOAD_FIELD_INVALID', `"uploadIds" must be a list of upload ids. ${usage}`, { field: 'uploadIds' });
  }
  if (uploadIds.length === 0) throw new UploadError('UPLOAD_EMPTY', 'The load has no files; list the uploads to load in "uploadIds".');
  if (uploadIds.length > MAX_UPLOAD_FILES) {
    throw new UploadError('UPLOAD_TOO_MANY_PARTS', `A load takes at most ${MAX_UPLOAD_FILES} files; load the rest separately.`);
  }
  const ids = [...new Set(uploadIds as string[])];
  return { uploadIds: ids, asOf: asOf === undefined ? undefined : parseAsOf('asOf', asOf) };
}

function parseAsOf(field: string, value: unknown): Date {
  if (field !== 'asOf') {
    throw new UploadError('UPLOAD_FIELD_INVALID', `Unknown form field "${field}"; an upload takes files and an optional "asOf" date.`, { field });
  }
  const text = typeof value === 'string' ? value.trim() : '';
  const date = new Date(text);
  const valid = ISO_DATE.test(text) && !Number.isNaN(date.getTime()) && (text.length > 10 || date.toISOString().startsWith(text));
  if (!valid) {
    throw new UploadError('UPLOAD_FIELD_INVALID', `"asOf" must be an ISO date such as 2025-06-30 (or a date-time with its zone), got "${String(value)}".`, {
      field,
    });
  }
  return date;
}

function safeFailure(message: string, runId: string): string {
  return CUSTOMER_FACING_FAILURE.test(message) ? message : `The load failed; Kineo support can see why (load ${runId}).`;
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
