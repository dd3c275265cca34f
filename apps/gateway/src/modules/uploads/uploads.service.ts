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
  ) {}

  /**
   * Streams each file into a new landing folder for the tenant, then records the load and starts
   * its flow. Any refusal removes what was written, so a refused upload leaves nothing behind.
   */
  async receive(tenant: TenantContext, parts: AsyncIterable<UploadPart>): Promise<UploadReceipt> {
    await this.assertReady(tenant);
    const ingestionRunId = randomUUID();
    const dir = this.landing.runDir(tenant.namespace, ingestionRunId);
    const files: { name: string; path: string; bytes: number }[] = [];
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
      await this.landing.remove(dir);
      const failed = { status: 'failed' as const, error: 'The load could not be queued.', finishedAt: new Date() };
      await this.prisma.ingestionRun.updateMany({ where: { id: ingestionRunId }, data: failed });
      await this.prisma.buildRun.updateMany({ where: { ingestionRunId }, data: failed });
      throw error;
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

  private async assertReady(tenant: TenantContext): Promise<void> {
    const { status, slug } = await this.prisma.tenant.findUniqueOrThrow({ where: { id: tenant.tenantId }, select: { status: true, slug: true } });
    if (status !== 'active') {
      throw new UploadError('TENANT_NOT_READY', `The organisation "${slug}" is still being set up; uploads open once it is active.`);
    }
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
