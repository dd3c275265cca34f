import { provisionTenantJob, type JobPayload } from '@kineo/jobs';
import { StageRecorder, TenantService, type PrismaClient } from '@kineo/db';
import type { SecretStore } from '@kineo/config';
import type { Warehouse } from '@kineo/warehouse';
import type { JobContext } from '../../engine/job-handler.registry';

export type ProvisionTenantJobData = JobPayload<typeof provisionTenantJob>;

export interface TenantJobDeps {
  prisma: PrismaClient;
  warehouse: Warehouse;
  secrets: SecretStore;
}

/**
 * Makes a newly created tenant ready to receive data: its warehouse namespace with bronze,
 * silver and gold, its warehouse access, then active. Every step is idempotent, so a
 * provisioning that stopped half way is finished by running it again.
 */
export function provisionTenantHandler(deps: TenantJobDeps) {
  const tenants = new TenantService(deps.prisma);
  return async (payload: ProvisionTenantJobData, context: JobContext) => {
    const tenant = await deps.prisma.tenant.findUnique({ where: { id: payload.tenantId } });
    if (!tenant) throw new Error(`tenant ${payload.tenantId} does not exist`);
    if (tenant.status === 'offboarded') {
      context.log.warn('tenant is offboarded; nothing to provision');
      return { status: tenant.status, namespace: tenant.namespace };
    }
    const ref = { tenantId: tenant.id, namespace: tenant.namespace };
    const run = await StageRecorder.startInPlaceOfUnfinished(deps.prisma, { tenantId: tenant.id, kind: 'provision' });
    try {
      context.signal.throwIfAborted();
      await context.progress({ stage: 'namespace' });
      const report = await run.stage('namespace', async () => {
        const r = await deps.warehouse.provision(ref);
        return { result: r, details: { engine: deps.warehouse.engine, created: r.created } };
      });
      context.signal.throwIfAborted();
      await context.progress({ stage: 'access' });
      await run.stage('access', async () => {
        // Databricks: the grants for the tenant's principal, kept where ops can apply or audit them.
        // DuckDB: access is the tenant's own files, locked down per instance; nothing to store.
        if (report.grants.length > 0) {
          await deps.secrets.set(`warehouse-${tenant.namespace}-grants`, JSON.stringify(report.grants));
        }
        return { result: undefined, details: { grants: report.grants } };
      });
      context.signal.throwIfAborted();
      await context.progress({ stage: 'activate' });
      await run.stage('activate', async () => {
        if (tenant.status === 'provisioning') await tenants.markActive(tenant.id, `worker:${payload.requestedBy}`);
        return { result: undefined, details: { status: 'active' } };
      });
      await run.finish({ status: 'succeeded' });
    } catch (error) {
      await run.fail(error);
      throw error;
    }
    await context.progress(100);
    return { status: 'active', namespace: tenant.namespace };
  };
}
