import { z } from 'zod';

/**
 * The queues; one per kind of work so a slow kind never holds up another. Snapshots and publishing
 * are build stages, in order after gold on the build queue, not kinds of their own.
 */
export const QUEUES = ['provision', 'ingest', 'build', 'maintenance'] as const;
export type QueueName = (typeof QUEUES)[number];

export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  /** Unique across the platform, e.g. "tenant.provision". */
  name: string;
  queue: QueueName;
  /**
   * Bumped when a payload this release queues may not be read by the release before (a new field in
   * a strict schema): a worker hands a payload newer than it knows back to its queue for a newer one.
   */
  version: number;
  /** Older versions whose payloads `schema` still reads, so jobs the release before queued run after a deploy. */
  reads?: readonly number[];
  schema: S;
  attempts: number;
}

export type JobPayload<D extends JobDefinition> = z.infer<D['schema']>;

export function defineJob<S extends z.ZodType>(definition: JobDefinition<S>): JobDefinition<S> {
  return definition;
}

const tenantId = z.uuid({ message: 'tenantId must be a UUID' });

export const provisionTenantJob = defineJob({
  name: 'tenant.provision',
  queue: 'provision',
  version: 1,
  attempts: 5,
  schema: z.object({ tenantId, requestedBy: z.string().min(1) }).strict(),
});

export const offboardTenantJob = defineJob({
  name: 'tenant.offboard',
  queue: 'provision',
  version: 1,
  attempts: 3,
  schema: z.object({ tenantId, requestedBy: z.string().min(1) }).strict(),
});

const landedFile = z
  .object({
    /** Absolute path inside the tenant's landing area. */
    path: z.string().min(1),
    /** The name the file landed with, in the run's folder or the landing store. */
    name: z.string().min(1).max(255),
    /** The name the customer sent it with ("users (1).csv"), where it differs from `name` ("users__1_.csv"): what the load's report and messages say. */
    uploadedAs: z.string().min(1).max(1024).optional(),
  })
  .strict();

export const LOAD_SOURCES = ['cli', 'upload', 'landing'] as const;

/** Loads a set of landed files into bronze: the first step of a load's flow. */
export const ingestLoadJob = defineJob({
  name: 'load.ingest',
  queue: 'ingest',
  // 2: a file may carry `uploadedAs`, which a version-1 worker's strict schema refuses (it hands the
  // job back until a worker of this release takes it); a version-1 payload reads as it is.
  version: 2,
  reads: [1],
  attempts: 3,
  schema: z
    .object({
      tenantId,
      ingestionRunId: z.uuid(),
      buildRunId: z.uuid(),
      files: z.array(landedFile).min(1).max(100),
      source: z.enum(LOAD_SOURCES),
    })
    .strict(),
});

export const BUILD_STAGE_NAMES = ['silver', 'hierarchy', 'gold', 'snapshots', 'publish'] as const;

/** Builds one stage of a tenant's layers from what the stages before it produced. */
export const buildStageJob = defineJob({
  name: 'build.stage',
  queue: 'build',
  version: 1,
  attempts: 3,
  schema: z
    .object({
      tenantId,
      buildRunId: z.uuid(),
      ingestionRunId: z.uuid().optional(),
      stage: z.enum(BUILD_STAGE_NAMES),
      asOf: z.iso.datetime(),
    })
    .strict(),
});

/**
 * Builds the rollups a tenant's published version lacks or holds from an older definition, on a copy
 * of that version's gold, and publishes the result as the next version (a release that adds or
 * changes a rollup). `buildRunId` when someone asked (the CLI records the run first); the worker's
 * start-up scan leaves it out and the job records a run only when something is stale.
 */
export const refreshRollupsJob = defineJob({
  name: 'rollups.refresh',
  queue: 'build',
  version: 1,
  attempts: 3,
  schema: z.object({ tenantId, buildRunId: z.uuid().optional(), requestedBy: z.string().min(1) }).strict(),
});

/**
 * BullMQ priority of a refresh (lower runs first; a job without one, every load's, before any with
 * one): customers' loads come before a deploy's refreshes.
 */
export const REFRESH_ROLLUPS_PRIORITY = 10;

/** Looks in every active tenant's landing folder for a complete drop of files (marked READY). */
export const landingScanJob = defineJob({
  name: 'landing.scan',
  queue: 'maintenance',
  version: 1,
  attempts: 1,
  schema: z.object({}).strict(),
});

/**
 * Starts the recorded loads the queue never accepted (their request met Redis down), and starts again
 * the loads, rebuilds, rollups refreshes, provisionings and offboardings whose job the queue lost (Redis
 * back without its data; see recoverLostFlows, recoverLostOperations).
 */
export const enqueuePendingLoadsJob = defineJob({
  name: 'load.enqueue-pending',
  queue: 'maintenance',
  version: 1,
  attempts: 1,
  schema: z.object({}).strict(),
});

/** Deletes sign-in credentials nobody can use any more (expired sessions, refresh tokens, invitations, reset links). */
export const sweepCredentialsJob = defineJob({
  name: 'auth.sweep-expired',
  queue: 'maintenance',
  version: 1,
  attempts: 1,
  schema: z.object({}).strict(),
});

/**
 * Deletes the landing files of finished loads older than their tenant's retention period.
 * `now` is the sweep's clock (tests pass theirs; the schedule leaves it out).
 */
export const landingRetentionJob = defineJob({
  name: 'landing.retention',
  queue: 'maintenance',
  version: 1,
  attempts: 1,
  schema: z.object({ now: z.iso.datetime().optional() }).strict(),
});

/** Every job the platform knows; the worker refuses to start unless each has exactly one handler. */
export const JOB_DEFINITIONS: readonly JobDefinition[] = [
  provisionTenantJob,
  offboardTenantJob,
  ingestLoadJob,
  buildStageJob,
  refreshRollupsJob,
  landingScanJob,
  enqueuePendingLoadsJob,
  sweepCredentialsJob,
  landingRetentionJob,
];

export function findJobDefinition(name: string): JobDefinition | undefined {
  return JOB_DEFINITIONS.find((d) => d.name === name);
}

/** Redis pub/sub channel on which the worker announces a newly published gold version. */
export const PUBLISHED_CHANNEL = 'kineo:published';
