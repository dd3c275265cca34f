import { DomainError } from '@kineo/errors';

/** A job payload that fails its schema, at enqueue or at process time; a bug in the caller, never retried. */
export class JobPayloadError extends DomainError {
  constructor(jobName: string, problems: string[]) {
    super('JOB_PAYLOAD_INVALID', `Invalid payload for job "${jobName}": ${problems.join('; ')}`, { job: jobName });
  }
}
