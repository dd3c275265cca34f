import { BUILD_STAGE_NAMES, buildStageJob, type JobPayload } from '@kineo/jobs';
import { StageRecorder } from '@kineo/db';
import { buildTenant } from '@kineo/pipeline';
import type { JobContext } from '../../engine/job-handler.registry';
import type { TenantJobDeps } from '../tenant/provision-tenant.job';

export type BuildStageJobData = JobPayload<typeof buildStageJob>;

/** One build stage (silver, hierarchy, ...) of a tenant's layers, as a step of a load's flow. */
export function buildStageHandler(deps: TenantJobDeps) {
  return async (payload: BuildStageJobData, context: JobContext) => {
    const tenant = await deps.prisma.tenant.findUniqueOrThrow({ where: { id: payload.tenantId } });
    const ref = { tenantId: tenant.id, namespace: tenant.namespace };
    const asOf = new Date(payload.asOf);
    const build = await StageRecorder.resume(deps.prisma, payload.buildRunId);
    const lastAttempt = context.job.attemptsMade + 1 >= (context.job.opts.attempts ?? 1);
    try {
      const results = await build.stage(
        payload.stage,
        async () => {
          const out = await buildTenant(deps.warehouse, ref, {
            asOf,
            stages: [payload.stage],
            onModel: (r) => void context.progress({ stage: payload.stage, model: r.model, rows: r.rows }),
          });
          const models = out[payload.stage];
          return { result: models, details: { models } };
        },
        context.job.attemptsMade + 1,
      );
      if (payload.stage === BUILD_STAGE_NAMES[BUILD_STAGE_NAMES.length - 1]) await build.finish({ status: 'succeeded' });
      return { stage: payload.stage, models: results.length };
    } catch (error) {
      if (lastAttempt) await build.finish({ status: 'failed', error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  };
}
