import type { PrismaClient } from '@kineo/db';
import { StageRecorder } from '@kineo/db';
import { BUILD_STAGE_NAMES, type LOAD_SOURCES } from './definitions';
import type { JobQueues } from './queues';

export interface LoadRequest {
  tenantId: string;
  /** Made by the caller, who has already put the files in `<landing>/<namespace>/<ingestionRunId>/`. */
  ingestionRunId: string;
  files: { path: string; name: string }[];
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

/** Records a load (IngestionRun, BuildRun with its stages pending) and starts its flow. */
export async function requestLoad(prisma: PrismaClient, queues: JobQueues, request: LoadRequest): Promise<LoadTicket> {
  const asOf = (request.asOf ?? new Date()).toISOString();
  await prisma.ingestionRun.create({
    data: {
      id: request.ingestionRunId,
      tenantId: request.tenantId,
      status: 'queued',
      source: request.source,
      requestedBy: request.requestedBy,
      files: request.files.map((f) => ({ file: f.name })),
    },
  });
  const build = await StageRecorder.start(prisma, {
    tenantId: request.tenantId,
    kind: 'load',
    ingestionRunId: request.ingestionRunId,
    asOf: new Date(asOf),
    planned: [...LOAD_STAGES],
    status: 'queued',
  });
  await prisma.auditEvent.create({
    data: {
      actor: request.requestedBy,
      action: 'load.requested',
      tenantId: request.tenantId,
      details: { ingestionRunId: request.ingestionRunId, source: request.source, files: request.files.map((f) => f.name), asOf },
    },
  });
  const { jobIds } = await queues.enqueueLoadFlow({
    tenantId: request.tenantId,
    ingestionRunId: request.ingestionRunId,
    buildRunId: build.runId,
    files: request.files,
    source: request.source,
    asOf,
  });
  return { ingestionRunId: request.ingestionRunId, buildRunId: build.runId, asOf, jobIds };
}
