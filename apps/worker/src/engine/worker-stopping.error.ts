import { DomainError } from '@kineo/errors';

/**
 * The worker is stopping and its shutdown grace has passed: the job stops at its next step and is
 * handed back to its queue. Not the job's failure, so no run is marked failed for it.
 */
export class WorkerStoppingError extends DomainError<'WORKER_STOPPING'> {
  constructor(graceMs: number) {
    super('WORKER_STOPPING', `the worker is stopping and the job did not finish within the ${graceMs} ms shutdown grace; handed back to its queue`);
  }
}
