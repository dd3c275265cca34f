import { provisionTenantJob } from '@kineo/jobs';
import type { PrismaClient } from '@kineo/db';
import { JobHandlerRegistry } from './engine/job-handler.registry';
import { provisionTenantHandler } from './modules/tenant/provision-tenant.job';

export interface HandlerDeps {
  prisma: PrismaClient;
  dataDir: string;
}

/** The one place job names meet their handlers. */
export function buildRegistry(deps: HandlerDeps): JobHandlerRegistry {
  return new JobHandlerRegistry().register(provisionTenantJob, provisionTenantHandler(deps));
}
