import { Injectable } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import { isUuid, type PrismaClient, type StageRecord } from '@kineo/db';
import { CUSTOMER_FACING_RUN_FAILURES } from '@kineo/errors';
import { InjectPrisma } from '../../engine/database/database.module';
import { UploadError } from './uploads.exception';
import type { UploadFileStatus, UploadStatus } from './uploads.types';

/** `GET /uploads/:ingestionRunId`: where a load and its build have got to. */
@Injectable()
export class UploadStatusService {
  constructor(@InjectPrisma() private readonly prisma: PrismaClient) {}

  /** A load of the caller's tenant; another tenant's (or no) load is the same 404. */
  async status(tenant: TenantContext, ingestionRunId: string): Promise<UploadStatus> {
    const run = isUuid(ingestionRunId)
      ? await this.prisma.ingestionRun.findFirst({
          where: { id: ingestionRunId, tenantId: tenant.tenantId },
          include: { buildRuns: { orderBy: { createdAt: 'desc' }, take: 1 } },
        })
      : null;
    if (!run) throw new UploadError('UPLOAD_NOT_FOUND', `No upload "${ingestionRunId}" in your organisation.`);
    const build = run.buildRuns[0];
    const stages = ((build?.stages ?? []) as unknown as StageRecord[]).map(({ error, errorCode, ...stage }) => ({
      ...stage,
      ...(error ? { error: safeFailure(error, errorCode, run.id) } : {}),
    }));
    return {
      ingestionRunId: run.id,
      status: run.status,
      source: run.source,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      error: run.error ? safeFailure(run.error, run.failureCode, run.id) : null,
      rowsRead: Number(run.rowsRead),
      rowsLoaded: Number(run.rowsLoaded),
      rowsQuarantined: Number(run.rowsQuarantined),
      files: Array.isArray(run.files) ? run.files.map(fileStatusOf) : [],
      build: build
        ? {
            buildRunId: build.id,
            status: build.status,
            asOf: build.asOf,
            dataVersion: build.dataVersion,
            error: build.error ? safeFailure(build.error, build.failureCode, run.id) : null,
            stages,
          }
        : null,
    };
  }
}

/** A failure's text when its code says it was written for the customer (a contract rejection); otherwise a line to quote to support. */
function safeFailure(message: string, code: string | null | undefined, runId: string): string {
  return code && CUSTOMER_FACING_RUN_FAILURES.has(code) ? message : `The load failed; Kineo support can see why (load ${runId}).`;
}

/**
 * A file of the load as the caller sent it and what became of its rows. The recorded file also holds
 * where it landed on the server (and its hash): that stays inside.
 */
function fileStatusOf(recorded: unknown): UploadFileStatus {
  const f = (recorded ?? {}) as Record<string, unknown>;
  const count = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    file: [f.file, f.name].find((name): name is string => typeof name === 'string') ?? '',
    status: typeof f.status === 'string' ? f.status : null,
    rowsRead: count(f.rowsRead),
    rowsLoaded: count(f.rowsLoaded),
    rowsQuarantined: count(f.rowsQuarantined),
    ...(Array.isArray(f.reasons) && f.reasons.length > 0 ? { reasons: f.reasons as UploadFileStatus['reasons'] } : {}),
    ...(typeof f.note === 'string' ? { note: f.note } : {}),
  };
}
