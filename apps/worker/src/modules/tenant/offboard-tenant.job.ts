import { offboardingCalledOff, offboardTenantJob, type JobPayload } from '@kineo/jobs';
import { StageRecorder } from '@kineo/db';
import type { LandingStore } from '@kineo/landing';
import { LAYERS, type TableCount } from '@kineo/warehouse';
import type { JobContext } from '../../engine/job-handler.registry';
import type { TenantJobDeps } from './provision-tenant.job';

export type OffboardTenantJobData = JobPayload<typeof offboardTenantJob>;

export interface OffboardTenantJobDeps extends TenantJobDeps {
  /** Where the tenant's uploaded files wait (LANDING_STORE): they go with the tenant. */
  landing: LandingStore;
}

/**
 * Removes a suspended tenant's warehouse namespace and its files in the landing store (one resumed
 * since the request is left alone: see below). Before anything is
 * dropped, the row count of every table in every layer goes to the audit log, and the files deleted
 * from the landing store are counted there too, so what was removed can always be accounted for.
 */
export function offboardTenantHandler(deps: OffboardTenantJobDeps) {
  return async (payload: OffboardTenantJobData, context: JobContext) => {
    const tenant = await deps.prisma.tenant.findUnique({ where: { id: payload.tenantId } });
    if (!tenant) throw new Error(`tenant ${payload.tenantId} does not exist`);
    // Asking suspends the tenant; one found active again was resumed by ops before this job ran
    // (workers busy or down), which calls the offboarding off: dropping its data now would lose
    // what its people are using again.
    // A tenant suspended again since (say, for an unpaid bill) is no request to offboard it: the
    // resume cleared the request, and only asking again sets it.
    const calledOff = offboardingCalledOff(tenant);
    if (calledOff) {
      const reason = `${calledOff}, so nothing was removed`;
      await deps.prisma.auditEvent.create({
        data: { actor: `worker:${payload.requestedBy}`, action: 'tenant.offboard_skipped', tenantId: tenant.id, details: { namespace: tenant.namespace, status: tenant.status, reason } },
      });
      context.log.warn({ tenantId: tenant.id, slug: tenant.slug }, `offboarding of tenant ${tenant.slug} skipped: ${reason}`);
      return { status: 'skipped', reason };
    }
    const ref = { tenantId: tenant.id, namespace: tenant.namespace };
    const run = await StageRecorder.startInPlaceOfUnfinished(deps.prisma, { tenantId: tenant.id, kind: 'offboard' });
    try {
      const counts = await run.stage('evidence', async () => {
        const all: TableCount[] = [];
        if (await deps.warehouse.isProvisioned(ref)) {
          for (const layer of LAYERS) all.push(...(await deps.warehouse.tableCounts(ref, layer)));
        }
        const publishedVersion = await deps.warehouse.publishedVersion(ref).catch(() => null);
        await deps.prisma.auditEvent.create({
          data: {
            actor: `worker:${payload.requestedBy}`,
            action: 'tenant.offboard.evidence',
            tenantId: tenant.id,
            // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc needs it: Prisma's JSON input type has an index signature TableCount lacks
            details: { namespace: tenant.namespace, publishedVersion, tables: all as unknown as object[] },
          },
        });
        return { result: all, details: { tables: all.length, rows: all.reduce((n, t) => n + t.rows, 0) } };
      });
      // Before the drop: the local warehouse (DuckDB) removes the landing folder with the namespace, uncounted.
      const landing = await run.stage('landing', async () => {
        const removed = await deps.landing.removeNamespace(tenant.namespace);
        const details = { store: deps.landing.kind, files: removed.files, bytes: removed.bytes };
        await deps.prisma.auditEvent.create({
          data: { actor: `worker:${payload.requestedBy}`, action: 'tenant.offboard.landing_deleted', tenantId: tenant.id, details: { namespace: tenant.namespace, ...details } },
        });
        return { result: details, details };
      });
      await context.progress({ stage: 'drop' });
      await run.stage('drop', async () => {
        await deps.warehouse.drop(ref);
        await deps.secrets.delete(`warehouse-${tenant.namespace}-grants`);
        return { result: undefined };
      });
      await run.stage('status', async () => {
        await deps.prisma.$transaction([
          deps.prisma.tenant.update({ where: { id: tenant.id }, data: { status: 'offboarded' } }),
          deps.prisma.subscription.updateMany({ where: { tenantId: tenant.id, status: { not: 'cancelled' } }, data: { status: 'cancelled', periodEnd: new Date() } }),
          deps.prisma.auditEvent.create({
            data: { actor: `worker:${payload.requestedBy}`, action: 'tenant.offboarded', tenantId: tenant.id, details: { namespace: tenant.namespace } },
          }),
        ]);
        return { result: undefined };
      });
      await run.finish({ status: 'succeeded' });
      return { status: 'offboarded', tables: counts.length, rows: counts.reduce((n, t) => n + t.rows, 0), landing };
    } catch (error) {
      await run.fail(error);
      throw error;
    }
  };
}
