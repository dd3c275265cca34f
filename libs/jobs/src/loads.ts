import fs from 'node:fs/promises';
import type { PrismaClient } from '@kineo/db';
import { assertFilesWithinUploadLimit, assertRowsWithinLimit, uploadLimitOf } from '@kineo/db';
import { countCsvRows, type MeasuredFile } from './row-count.util';
import { BUILD_STAGE_NAMES, type LOAD_SOURCES } from './definitions';
import type { JobQueues } from './queues';

export interface LoadRequest {
  tenantId: string;
  /** Made by the caller, who has already put the files in `<landing>/<namespace>/<ingestionRunId>/`. */
  ingestionRunId: string;
  /**
   * `measured`: the file's bytes and rows, for a file not on this disk (a blob in the landing
   * store, counted while it was read there); any other file is measured at `path`.
   */
  files: { path: string; name: string; measured?: MeasuredFile }[];
  source: (typeof LOAD_SOURCES)[number];
  requestedBy: string;
  /** The build's reference time; the load time when not given. */
  asOf?: Date;
}

export interface LoadTicket {
  ingestionRunId: string;
  buildRunId: string;
  asOf: string;
  jobIds: Record<string, string>;
}

export const LOAD_STAGES = ['ingest', ...BUILD_STAGE_NAMES] as const;

/** How long a request waits for the queue to accept a load before leaving it to the worker's sweep. */
export const DEFAULT_ENQUEUE_TIMEOUT_MS = 5_000;

/**
 * Records a load (IngestionRun, BuildRun with its stages pending, audit event) in one transaction,
 * then starts its flow. A load with more rows than the plan allows is refused (PLAN_LIMIT), and one
 * with a file over the plan's upload limit (capped by `uploadCeilingBytes`, UPLOAD_MAX_BYTES) is
 * refused (UPLOAD_TOO_LARGE), before anything is recorded: the CLI and landing drops pass no HTTP
 * limit on their way here. The record is the promise: once it is committed the load is not lost. A
 * queue that does not accept the flow in time (Redis down: BullMQ would wait for ever) leaves the
 * run with no `enqueuedAt`, and `enqueuePendingLoads` (the worker's sweep) starts it later; the
 * flow's job ids are fixed, so starting it twice is harmless.
 */
export async function requestLoad(
  prisma: PrismaClient,
  queues: JobQueues,
  request: LoadRequest,
  options: { enqueueTimeoutMs?: number; uploadCeilingBytes?: number } = {},
): Promise<LoadTicket & { enqueued: boolean }> {
  const sizes = await Promise.all(request.files.map(async (f) => ({ name: f.name, bytes: f.measured?.bytes ?? (await fs.stat(f.path)).size })));
  assertFilesWithinUploadLimit(await uploadLimitOf(prisma, request.tenantId, options.uploadCeilingBytes ?? Number.POSITIVE_INFINITY), sizes);
  let rows = 0;
  for (const file of request.files) rows += file.measured?.rows ?? (await countCsvRows(file.path));
  await assertRowsWithinLimit(prisma, request.tenantId, rows);
  const files = request.files.map(({ name, path }) => ({ name, path }));
  const asOf = (request.asOf ?? new Date()).toISOString();
  const buildRunId = await prisma.$transaction(async (tx) => {
    await tx.ingestionRun.create({
      data: {
        id: request.ingestionRunId,
        tenantId: request.tenantId,
        status: 'queued',
        source: request.source,
        requestedBy: request.requestedBy,
        files: files.map((f) => ({ file: f.name, path: f.path })),
      },
    });
    const build = await tx.buildRun.create({
      data: {
        tenantId: request.tenantId,
        kind: 'load',
        ingestionRunId: request.ingestionRunId,
        asOf: new Date(asOf),
        status: 'queued',
        stages: LOAD_STAGES.map((stage) => ({ stage, status: 'pending' })),
      },
    });
    await tx.auditEvent.create({
      data: {
        actor: request.requestedBy,
        action: 'load.requested',
        tenantId: request.tenantId,
        details: { ingestionRunId: request.ingestionRunId, source: request.source, files: request.files.map((f) => f.name), asOf },
      },
    });
    return build.id;
  });
  const flow = { tenantId: request.tenantId, ingestionRunId: request.ingestionRunId, buildRunId, files, source: request.source, asOf };
  const enqueued = await enqueueRecorded(prisma, queues, flow, options.enqueueTimeoutMs ?? DEFAULT_ENQUEUE_TIMEOUT_MS);
  return { ingestionRunId: request.ingestionRunId, buildRunId, asOf, jobIds: loadJobIds(request.ingestionRunId), enqueued };
}

/**
 * Starts every recorded load the queue never accepted (still queued, no `enqueuedAt`): what a
 * request left behind when Redis was down. Returns the ids of the loads it started.
 */
export async function enqueuePendingLoads(
  prisma: PrismaClient,
  queues: JobQueues,
  options: { enqueueTimeoutMs?: number } = {},
): Promise<string[]> {
  const pending = await prisma.ingestionRun.findMany({
    where: { enqueuedAt: null, status: 'queued' },
    include: { buildRuns: { where: { kind: 'load' }, select: { id: true, asOf: true } } },
    orderBy: { createdAt: 'asc' },
    take: 100,
  });
  const started: string[] = [];
  for (const run of pending) {
    const build = run.buildRuns[0];
    const files = (run.files as { file: string; path?: string }[]).filter((f): f is { file: string; path: string } => typeof f.path === 'string');
    if (!build || files.length === 0) continue;
    const flow = {
      tenantId: run.tenantId,
      ingestionRunId: run.id,
      buildRunId: build.id,
      files: files.map((f) => ({ name: f.file, path: f.path })),
      source: run.source as LoadRequest['source'],
      asOf: (build.asOf ?? run.createdAt).toISOString(),
    };
    if (await enqueueRecorded(prisma, queues, flow, options.enqueueTimeoutMs ?? DEFAULT_ENQUEUE_TIMEOUT_MS)) started.push(run.id);
  }
  return started;
}

export function loadJobIds(ingestionRunId: string): Record<string, string> {
  return Object.fromEntries(LOAD_STAGES.map((s) => [s, `${ingestionRunId}-${s}`]));
}

/** Hands a recorded load to the queue within `timeoutMs`, and marks it accepted; false when the queue did not answer. */
async function enqueueRecorded(
  prisma: PrismaClient,
  queues: JobQueues,
  flow: Parameters<JobQueues['enqueueLoadFlow']>[0],
  timeoutMs: number,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const adding = queues.enqueueLoadFlow(flow).then(
    () => true,
    () => false,
  );
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const accepted = await Promise.race([adding, timedOut]);
  clearTimeout(timer);
  if (accepted) await prisma.ingestionRun.update({ where: { id: flow.ingestionRunId }, data: { enqueuedAt: new Date() } });
  return accepted;
}
