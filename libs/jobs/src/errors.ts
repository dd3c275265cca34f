export class JobPayloadError extends Error {
  readonly code = 'JOB_PAYLOAD_INVALID';
  constructor(jobName: string, problems: string[]) {
    super(`Invalid payload for job "${jobName}": ${problems.join('; ')}`);
    this.name = 'JobPayloadError';
  }
}
