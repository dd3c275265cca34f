import type { StageRecord } from '@kineo/db';

/**
 * One line per warning a run's stages recorded. A warning never fails the run (the command still
 * exits 0), but whoever waits on it must see what an operator may need to clean up.
 */
export function stageWarningLines(stages: readonly Pick<StageRecord, 'stage' | 'warnings'>[]): string[] {
  return stages.flatMap((s) => (s.warnings ?? []).map((warning) => `Warning (${s.stage}): ${warning}`));
}

/** Writes a run's stage warnings to stderr, where progress and diagnostics go, keeping stdout for results. */
export function printStageWarnings(stages: readonly Pick<StageRecord, 'stage' | 'warnings'>[]): void {
  for (const line of stageWarningLines(stages)) process.stderr.write(`${line}\n`);
}
