import type { PrismaClient } from './client';
import type { Prisma } from './generated/prisma/client';

export interface StageRecord {
  stage: string;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  details?: Record<string, unknown>;
  error?: string;
}

/**
 * Records a multi-stage run (provisioning, a build) stage by stage in Postgres, so the CLI and
 * the portal can show progress while it runs and the outcome after.
 */
export class StageRecorder {
  private stages: StageRecord[] = [];

  private constructor(
    private readonly prisma: PrismaClient,
    readonly runId: string,
  ) {}

  static async start(
    prisma: PrismaClient,
    data: { tenantId: string; kind: string; ingestionRunId?: string; asOf?: Date },
  ): Promise<StageRecorder> {
    const run = await prisma.buildRun.create({
      data: { ...data, status: 'running', startedAt: new Date() },
    });
    return new StageRecorder(prisma, run.id);
  }

  /** Runs one stage, recording its start, end, duration, details and any error. */
  async stage<T>(stage: string, fn: () => Promise<{ result: T; details?: Record<string, unknown> } | T>): Promise<T> {
    const record: StageRecord = { stage, status: 'running', startedAt: new Date().toISOString() };
    this.stages.push(record);
    await this.save();
    const started = Date.now();
    try {
      const outcome = await fn();
      const wrapped = outcome && typeof outcome === 'object' && 'result' in (outcome as object);
      record.status = 'succeeded';
      record.details = wrapped ? (outcome as { details?: Record<string, unknown> }).details : undefined;
      return wrapped ? (outcome as { result: T }).result : (outcome as T);
    } catch (error) {
      record.status = 'failed';
      record.error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      record.finishedAt = new Date().toISOString();
      record.durationMs = Date.now() - started;
      await this.save();
    }
  }

  async finish(outcome: { status: 'succeeded' | 'failed'; error?: string; dataVersion?: number; checks?: Prisma.InputJsonValue }): Promise<void> {
    await this.prisma.buildRun.update({
      where: { id: this.runId },
      data: {
        status: outcome.status,
        error: outcome.error ?? null,
        dataVersion: outcome.dataVersion,
        checks: outcome.checks,
        finishedAt: new Date(),
        stages: this.stages as unknown as Prisma.InputJsonValue,
      },
    });
  }

  private async save(): Promise<void> {
    await this.prisma.buildRun.update({
      where: { id: this.runId },
      data: { stages: this.stages as unknown as Prisma.InputJsonValue },
    });
  }
}
