import { errorCode, RUN_INTERRUPTED } from '@kineo/errors';
import { ATTR, withSpan } from '@kineo/telemetry';
import type { PrismaClient } from './client';
import type { Prisma } from '../generated/prisma';

export interface StageRecord {
  stage: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
  startedAt?: string;
  attempt?: number;
  finishedAt?: string;
  durationMs?: number;
  details?: Record<string, unknown>;
  /** What went wrong without failing the stage, for operators (e.g. a working table a refresh could not put back). */
  warnings?: string[];
  error?: string;
  /** The stable code of `error` (see @kineo/errors); what decides whether its text may be shown. */
  errorCode?: string;
}

/**
 * Records a multi-stage run (provisioning, a build) stage by stage in Postgres, so the CLI and
 * the portal can show progress while it runs and the outcome after.
 */
export class StageRecorder {
  private constructor(
    private readonly prisma: PrismaClient,
    readonly runId: string,
    private stages: StageRecord[],
  ) {}

  /** Creates a run; `planned` stages are listed as pending so watchers see the whole plan. */
  static async start(
    prisma: PrismaClient,
    data: { tenantId: string; kind: string; ingestionRunId?: string; asOf?: Date; planned?: string[]; status?: 'queued' | 'running'; followsBuildRunId?: string },
  ): Promise<StageRecorder> {
    const { planned = [], status = 'running', ...fields } = data;
    const stages: StageRecord[] = planned.map((stage) => ({ stage, status: 'pending' }));
    const run = await prisma.buildRun.create({
      data: { ...fields, status, startedAt: status === 'running' ? new Date() : null, stages: stages as unknown as Prisma.InputJsonValue },
    });
    return new StageRecorder(prisma, run.id, stages);
  }

  /**
   * Starts the run of a tenant operation (provisioning, offboarding) that a job may have started
   * before on a worker that stopped mid-run: killed, or out of memory, BullMQ then gives the stalled
   * job to the next worker, whose handler starts a run of its own. The tenant's earlier runs of that
   * kind still marked `running` are closed as `cancelled`, naming the run that took over, so the ops
   * console never shows one running (and keeps polling it) for ever beside the run that did the work.
   * Waits and the lost-operations sweep count failed runs only, so this changes no attempt count. A
   * handler that was not dead after all (its lock lost, still working) records its own outcome over it.
   */
  static async startInPlaceOfUnfinished(prisma: PrismaClient, data: { tenantId: string; kind: string }): Promise<StageRecorder> {
    const recorder = await StageRecorder.start(prisma, data);
    await prisma.buildRun.updateMany({
      where: { tenantId: data.tenantId, kind: data.kind, status: 'running', id: { not: recorder.runId } },
      data: {
        status: 'cancelled',
        finishedAt: new Date(),
        failureCode: RUN_INTERRUPTED,
        error: `Stopped before it finished: its worker stopped or lost the job, and run ${recorder.runId} took the ${data.kind} over.`,
      },
    });
    return recorder;
  }

  /** Picks up a run another job started (the next step of a flow). */
  static async resume(prisma: PrismaClient, runId: string): Promise<StageRecorder> {
    const run = await prisma.buildRun.findUniqueOrThrow({ where: { id: runId } });
    if (run.status === 'queued') {
      await prisma.buildRun.update({ where: { id: runId }, data: { status: 'running', startedAt: new Date() } });
    }
    return new StageRecorder(prisma, runId, (run.stages as unknown as StageRecord[]) ?? []);
  }

  /**
   * The fiscal-year start this build builds with: the one recorded on the run, or, for the first build
   * stage to start, `current` (the tenant's setting now), recorded first. The first writer wins, so
   * every later stage, retry and recovery of the run builds with the same start, whatever the tenant
   * saved meanwhile, and a build still queued picks up a change saved before it starts.
   */
  async fixFiscalYearStart(current: number): Promise<number> {
    await this.prisma.buildRun.updateMany({ where: { id: this.runId, fiscalYearStartMonth: null }, data: { fiscalYearStartMonth: current } });
    const run = await this.prisma.buildRun.findUniqueOrThrow({ where: { id: this.runId }, select: { fiscalYearStartMonth: true } });
    return run.fiscalYearStartMonth ?? current;
  }

  /** Runs one stage, recording its start, end, duration, details, warnings and any error. */
  async stage<T>(stage: string, fn: () => Promise<{ result: T; details?: Record<string, unknown>; warnings?: string[] } | T>, attempt?: number): Promise<T> {
    const record: StageRecord = { stage, status: 'running', startedAt: new Date().toISOString(), ...(attempt ? { attempt } : {}) };
    const existing = this.stages.findIndex((s) => s.stage === stage);
    if (existing >= 0) this.stages[existing] = record;
    else this.stages.push(record);
    await this.save();
    const started = Date.now();
    try {
      // The stage's span is the parent of the models and statements it runs.
      const outcome = await withSpan(`stage ${stage}`, { [ATTR.stage]: stage, 'kineo.run_id': this.runId }, fn);
      const wrapped = outcome && typeof outcome === 'object' && 'result' in (outcome as object);
      record.status = 'succeeded';
      record.details = wrapped ? (outcome as { details?: Record<string, unknown> }).details : undefined;
      const warnings = wrapped ? (outcome as { warnings?: string[] }).warnings : undefined;
      if (warnings && warnings.length > 0) record.warnings = warnings;
      return wrapped ? (outcome as { result: T }).result : (outcome as T);
    } catch (error) {
      record.status = 'failed';
      record.error = error instanceof Error ? error.message : String(error);
      record.errorCode = errorCode(error);
      throw error;
    } finally {
      record.finishedAt = new Date().toISOString();
      record.durationMs = Date.now() - started;
      await this.save();
    }
  }

  /** Ends the run as failed with the error's message and its stable code. */
  async fail(error: unknown): Promise<void> {
    await this.finish({ status: 'failed', error: error instanceof Error ? error.message : String(error), failureCode: errorCode(error) });
  }

  async finish(outcome: {
    status: 'succeeded' | 'failed';
    error?: string;
    failureCode?: string;
    dataVersion?: number;
    checks?: Prisma.InputJsonValue;
  }): Promise<void> {
    await this.prisma.buildRun.update({
      where: { id: this.runId },
      data: {
        status: outcome.status,
        error: outcome.error ?? null,
        failureCode: outcome.failureCode ?? null,
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
