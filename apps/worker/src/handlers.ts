import { sweepExpiredCredentials } from '@kineo/auth';
import { DEFAULT_LANDING_RETENTION_DAYS } from '@kineo/config';
import {
  buildStageJob,
  enqueuePendingLoads,
  enqueuePendingLoadsJob,
  ingestLoadJob,
  landingRetentionJob,
  landingScanJob,
  offboardTenantJob,
  provisionTenantJob,
  recoverLostFlows,
  recoverLostOperations,
  refreshRollupsJob,
  requeueFailedGoldRebuilds,
  sweepCredentialsJob,
  type JobQueues,
} from '@kineo/jobs';
import { LocalLandingStore, type LandingStore } from '@kineo/landing';
import { JobHandlerRegistry } from './engine/job-handler.registry';
import { buildStageHandler, type BuildDeps } from './modules/load/build-stage.job';
import { ingestLoadHandler } from './modules/load/ingest-load.job';
import { landingRetentionHandler } from './modules/landing/landing-retention.job';
import { landingScanHandler } from './modules/landing/landing-scan.job';
import { refreshRollupsHandler } from './modules/rollups/refresh-rollups.job';
import { offboardTenantHandler } from './modules/tenant/offboard-tenant.job';
import { provisionTenantHandler } from './modules/tenant/provision-tenant.job';

export interface HandlerDeps extends BuildDeps {
  queues: JobQueues;
  dataDir: string;
  /** Where loads' files are (LANDING_STORE); the local landing folder under dataDir unless given. */
  landing?: LandingStore;
  /** The LANDING_RETENTION_DAYS setting; its default when not given. */
  landingRetentionDays?: number;
  /** The UPLOAD_MAX_BYTES setting, capping every plan's upload limit for landing drops. */
  uploadMaxBytes?: number;
  /** The WORKER_TENANT_LOCK_TTL_MS setting: how long a job whose flow Redis lost may still run (see recoverLostFlows). */
  tenantLockTtlMs?: number;
}

/** TenantLock's own default, for a registry made without the setting. */
const DEFAULT_TENANT_LOCK_TTL_MS = 60_000;

/** The one place job names meet their handlers. */
export function buildRegistry(options: HandlerDeps): JobHandlerRegistry {
  const deps = { ...options, landing: options.landing ?? new LocalLandingStore(options.dataDir) };
  // Told once until a sweep reaches Redis again, not at every sweep of an outage.
  let lostFlowsUnreachable = false;
  return new JobHandlerRegistry()
    .register(provisionTenantJob, provisionTenantHandler(deps))
    .register(offboardTenantJob, offboardTenantHandler(deps))
    .register(ingestLoadJob, ingestLoadHandler(deps))
    .register(buildStageJob, buildStageHandler(deps))
    .register(refreshRollupsJob, refreshRollupsHandler(deps))
    .register(landingScanJob, landingScanHandler(deps))
    .register(landingRetentionJob, landingRetentionHandler({ ...deps, landingRetentionDays: deps.landingRetentionDays ?? DEFAULT_LANDING_RETENTION_DAYS }))
    .register(enqueuePendingLoadsJob, async (_payload, context) => {
      const started = await enqueuePendingLoads(deps.prisma, deps.queues);
      if (started.length > 0) context.log.info({ ingestionRunIds: started }, 'started loads the queue had not accepted');
      // The same sweep starts again the loads, rebuilds and rollups refreshes whose flow the queue
      // lost (Redis back without its data). A handler whose lock vanished with the data is aborted
      // within one lock lifetime; the second lets it reach its next check before the run starts again.
      const graceMs = 2 * (deps.tenantLockTtlMs ?? DEFAULT_TENANT_LOCK_TTL_MS);
      const lost = await recoverLostFlows(deps.prisma, deps.queues, { graceMs });
      for (const r of lost.recovered) {
        const what = r.ingestionRunId ? `load ${r.ingestionRunId}` : r.kind === 'rollups' ? `rollups refresh ${r.buildRunId}` : `rebuild ${r.buildRunId}`;
        context.log.warn(
          { tenantId: r.tenantId, ingestionRunId: r.ingestionRunId, buildRunId: r.buildRunId, missingSince: r.missingSince, restartedFrom: r.restartedFrom, follows: r.follows },
          r.follows
            ? `${what} of tenant ${r.tenantId}: it follows run ${r.follows}, which has ended, and its jobs were not in the queue; its flow is started from ${r.restartedFrom}`
            : `${what} of tenant ${r.tenantId}: none of its jobs were in the queue (Redis lost its data?); its flow is started again from ${r.restartedFrom}`,
        );
      }
      // Provisionings and offboardings whose job the queue lost, the same way (not while Redis is unreachable).
      const lostOperations = lost.unreachable ? undefined : await recoverLostOperations(deps.prisma, deps.queues, { graceMs });
      for (const r of lostOperations?.recovered ?? []) {
        const what = r.kind === 'provision' ? 'provisioning' : 'offboarding';
        context.log.warn(
          { tenantId: r.tenantId, slug: r.slug, jobId: r.jobId, missingSince: r.missingSince },
          `${what} of tenant ${r.tenantId} (${r.slug}): its job was not in the queue (Redis lost its data?) and it is not finished; queued again`,
        );
      }
      const unreachable = lost.unreachable ?? lostOperations?.unreachable;
      if (unreachable && !lostFlowsUnreachable) context.log.warn({ err: unreachable }, 'lost-flows recovery: Redis did not answer, so no run, provisioning or offboarding was looked at or started again; the next sweeps try again');
      lostFlowsUnreachable = unreachable !== undefined;
      // The same sweep gives a failed rebuild for missing gold columns its next attempt (bounded),
      // so a deploy's rebuild that failed is not left to the next start; Postgres only, no warehouse.
      const rebuilds = await requeueFailedGoldRebuilds(deps.prisma, deps.queues);
      for (const r of rebuilds) {
        if (r.gaveUp) context.log.warn({ tenantId: r.tenantId, attempts: r.attempt }, 'gold rebuild: every attempt failed; only "kineo tenant rebuild" tries again');
        else if (r.buildRunId) context.log.warn({ tenantId: r.tenantId, attempt: r.attempt, replaced: r.replaced }, 'gold rebuild: the earlier attempt failed; queued again');
      }
      const goldRebuilds = rebuilds.filter((r) => r.buildRunId).map((r) => ({ tenantId: r.tenantId, buildRunId: r.buildRunId, attempt: r.attempt }));
      return {
        started,
        ...(lost.recovered.length > 0 ? { recovered: lost.recovered.map((r) => r.buildRunId) } : {}),
        ...(lostOperations?.recovered.length ? { recoveredOperations: lostOperations.recovered.map((r) => ({ kind: r.kind, tenantId: r.tenantId })) } : {}),
        ...(goldRebuilds.length > 0 ? { goldRebuilds } : {}),
      };
    })
    .register(sweepCredentialsJob, async (_payload, context) => {
      const removed = await sweepExpiredCredentials(deps.prisma);
      context.log.info(removed, 'removed expired sign-in credentials');
      return removed;
    });
}
