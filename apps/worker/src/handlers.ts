import { offboardTenantJob, provisionTenantJob } from '@kineo/jobs';
import { JobHandlerRegistry } from './engine/job-handler.registry';
import { offboardTenantHandler } from './modules/tenant/offboard-tenant.job';
import { provisionTenantHandler, type TenantJobDeps } from './modules/tenant/provision-tenant.job';

export type HandlerDeps = TenantJobDeps;

/** The one place job names meet their handlers. */
export function buildRegistry(deps: HandlerDeps): JobHandlerRegistry {
  return new JobHandlerRegistry()
    .register(provisionTenantJob, provisionTenantHandler(deps))
    .register(offboardTenantJob, offboardTenantHandler(deps));
}
