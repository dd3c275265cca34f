import type { ConnectionOptions, FlowJob, FlowProducer, JobsOptions, Queue } from 'bullmq';
import { bullMq } from './bullmq.loader';
import {
  BUILD_STAGE_NAMES,
  buildStageJob,
  ingestLoadJob,
  QUEUES,
  type JobDefinition,
  type JobPayload,
  type QueueName,
} from './definitions';
import { parsePayload } from './validate';

export const QUEUE_PREFIX = 'kineo';

/** BullMQ wants its own connections: no retry limit per request, ready check on. */
export function bullConnection(redisUrl: string): ConnectionOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/** The enqueue side of the platform's queues (CLI, gateway). */
export class JobQueues {
  private readonly queues = new Map<QueueName, Queue>();
  private flows?: FlowProducer;

  constructor(
    private readonly redisUrl: string,
    // Where the connections' errors go (each failed reconnect while Redis is away is one); without
    // a listener BullMQ prints each to stderr with its stack.
    private readonly options: { onError?: (error: Error) => void } = {},
  ) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new (bullMq().Queue)(name, { connection: bullConnection(this.redisUrl), prefix: QUEUE_PREFIX });
      if (this.options.onError) queue.on('error', this.options.onError);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Validates and enqueues; the payload is wrapped with the job's version. */
  async enqueue<D extends JobDefinition>(
    definition: D,
    payload: JobPayload<D>,
    options: Omit<JobsOptions, 'attempts'> = {},
  ) {
    const data = parsePayload(definition, payload);
    return this.queue(definition.queue).add(definition.name, { v: definition.version, data }, { ...this.retryOptions(definition), ...options });
  }

  /** Runs a job every `everyMs`; declaring the same schedule again replaces it. */
  async schedule<D extends JobDefinition>(definition: D, payload: JobPayload<D>, everyMs: number): Promise<void> {
    const data = parsePayload(definition, payload);
    await this.queue(definition.queue).upsertJobScheduler(
      definition.name,
      { every: everyMs },
      { name: definition.name, data: { v: definition.version, data }, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
    );
  }

  /** Whether `schedule` declared this job's schedule in the Redis the queue now reaches. */
  async isScheduled(definition: JobDefinition): Promise<boolean> {
    return (await this.queue(definition.queue).getJobScheduler(definition.name)) !== undefined;
  }

  /**
   * One flow per load: ingest, then each build stage in order. BullMQ runs children before their
   * parent, so the last stage is the root and the ingest job the deepest child; a failed step
   * fails the steps after it instead of leaving them waiting.
   */
  async enqueueLoadFlow(load: JobPayload<typeof ingestLoadJob> & { asOf: string }): Promise<{ jobIds: Record<string, string> }> {
    const { asOf, ...ingest } = load;
    const ingestData = parsePayload(ingestLoadJob, ingest);
    const first: FlowJob = {
      name: ingestLoadJob.name,
      queueName: ingestLoadJob.queue,
      data: { v: ingestLoadJob.version, data: ingestData },
      opts: { ...this.retryOptions(ingestLoadJob), failParentOnFailure: true, jobId: `${load.ingestionRunId}-ingest` },
    };
    return this.enqueueStages({ tenantId: load.tenantId, buildRunId: load.buildRunId, ingestionRunId: load.ingestionRunId, asOf }, load.ingestionRunId, first);
  }

  /**
   * A build without a load (a rebuild): the build stages from silver, in order, on what bronze holds.
   * `idPrefix` names its stage jobs (the run's id unless given); `priority` puts it behind loads.
   * With `ingestionRunId`, the build stages of a load whose ingest is done (a lost flow started again).
   */
  async enqueueBuildFlow(
    build: { tenantId: string; buildRunId: string; ingestionRunId?: string; asOf: string },
    options: { idPrefix?: string; priority?: number } = {},
  ): Promise<{ jobIds: Record<string, string> }> {
    return this.enqueueStages(build, options.idPrefix ?? build.buildRunId, undefined, options.priority);
  }

  private async enqueueStages(
    build: { tenantId: string; buildRunId: string; ingestionRunId?: string; asOf: string },
    idPrefix: string,
    first?: FlowJob,
    priority?: number,
  ): Promise<{ jobIds: Record<string, string> }> {
    let node: FlowJob | undefined = first;
    for (const stage of BUILD_STAGE_NAMES) {
      const data = parsePayload(buildStageJob, { ...build, stage });
      node = {
        name: buildStageJob.name,
        queueName: buildStageJob.queue,
        data: { v: buildStageJob.version, data },
        opts: { ...this.retryOptions(buildStageJob), failParentOnFailure: true, jobId: `${idPrefix}-${stage}`, ...(priority ? { priority } : {}) },
        ...(node ? { children: [node] } : {}),
      };
    }
    if (!this.flows) {
      this.flows = new (bullMq().FlowProducer)({ connection: bullConnection(this.redisUrl), prefix: QUEUE_PREFIX });
      if (this.options.onError) this.flows.on('error', this.options.onError);
    }
    await this.flows.add(node!);
    const steps = [...(first ? ['ingest'] : []), ...BUILD_STAGE_NAMES];
    return { jobIds: Object.fromEntries(steps.map((s) => [s, `${idPrefix}-${s}`])) };
  }

  private retryOptions(definition: JobDefinition): JobsOptions {
    return {
      attempts: definition.attempts,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
    };
  }

  async counts(): Promise<Record<QueueName, Record<string, number>>> {
    const result = {} as Record<QueueName, Record<string, number>>;
    for (const name of QUEUES) {
      result[name] = await this.queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
    }
    return result;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.flows?.close();
    this.queues.clear();
  }
}
