import { provisionTenantJob, type JobPayload } from '@kineo/jobs';
import { TenantService, type PrismaClient } from '@kineo/db';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { JobContext } from '../../engine/job-handler.registry';

export type ProvisionTenantJobData = JobPayload<typeof provisionTenantJob>;

/**
 * Makes a newly created tenant ready to receive data. Idempotent: a provisioning that stopped
 * half way is finished by running it again.
 */
export function provisionTenantHandler(deps: { prisma: PrismaClient; dataDir: string }) {
  const tenants = new TenantService(deps.prisma);
  return async (payload: ProvisionTenantJobData, context: JobContext) => {
    const tenant = await deps.prisma.tenant.findUnique({ where: { id: payload.tenantId } });
    if (!tenant) throw new Error(`tenant ${payload.tenantId} does not exist`);
    if (tenant.status === 'offboarded') {
      context.log.warn('tenant is offboarded; nothing to provision');
      return { status: tenant.status };
    }
    await context.progress({ stage: 'namespace', namespace: tenant.namespace });
    // The tenant's landing area for uploads; the warehouse namespace itself comes with the warehouse layer.
    await fs.mkdir(path.join(deps.dataDir, 'landing', tenant.namespace), { recursive: true });
    if (tenant.status === 'provisioning') {
      await tenants.markActive(tenant.id, `worker:${payload.requestedBy}`);
    }
    await context.progress(100);
    return { status: 'active', namespace: tenant.namespace };
  };
}
