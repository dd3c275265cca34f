import type { Job } from 'bullmq';
import type { JobDefinition, JobPayload } from '@kineo/jobs';
import { DomainError } from '@kineo/errors';
import type { Logger } from 'pino';

export interface JobContext {
  job: Job;
  log: Logger;
  /** Reports progress (0-100, or a stage object) to whoever watches the job. */
  progress(value: number | object): Promise<void>;
  /**
   * Aborts when a tenant job loses its tenant's lock: the job must stop writing (check it before
   * each step that commits something); it ends in a TenantLockLostError and is retried.
   */
  signal: AbortSignal;
  /**
   * Aborts when the worker is stopping and its shutdown grace has passed: check it where stopping
   * leaves nothing half-done (before each file, between models), never after a commit; the job is
   * then handed back to its queue.
   */
  stopping: AbortSignal;
}

export type JobHandler<D extends JobDefinition = JobDefinition> = (
  payload: JobPayload<D>,
  context: JobContext,
) => Promise<unknown>;

/** The worker's handlers do not match the known jobs (one missing, two for one job, one for no job). */
export class JobRegistryError extends DomainError {
  constructor(message: string) {
    super('JOB_REGISTRY_INVALID', message);
  }
}

/** Maps job names to their one handler, and proves at boot that every known job has one. */
export class JobHandlerRegistry {
  private readonly handlers = new Map<string, { definition: JobDefinition; handler: JobHandler }[]>();

  register<D extends JobDefinition>(definition: D, handler: JobHandler<D>): this {
    const list = this.handlers.get(definition.name) ?? [];
    list.push({ definition, handler: handler });
    this.handlers.set(definition.name, list);
    return this;
  }

  /** Throws, naming each job, unless every definition has exactly one handler and no handler is orphaned. */
  assertComplete(definitions: readonly JobDefinition[]): void {
    const problems: string[] = [];
    for (const definition of definitions) {
      const count = this.handlers.get(definition.name)?.length ?? 0;
      if (count === 0) problems.push(`job "${definition.name}" has no handler`);
      if (count > 1) problems.push(`job "${definition.name}" has ${count} handlers`);
    }
    for (const name of this.handlers.keys()) {
      if (!definitions.some((d) => d.name === name)) problems.push(`handler registered for unknown job "${name}"`);
    }
    if (problems.length > 0) throw new JobRegistryError(`Worker cannot start: ${problems.join('; ')}.`);
  }

  get(name: string): { definition: JobDefinition; handler: JobHandler } | undefined {
    return this.handlers.get(name)?.[0];
  }

  queues(): Set<JobDefinition['queue']> {
    return new Set([...this.handlers.values()].map((list) => list[0].definition.queue));
  }
}
