import type { Logger } from 'pino';
import { publishedRollups, rollupModelKey, type PublishedRollups } from '@kineo/analytics';
import { recordPublishedRollups, type PrismaClient } from '@kineo/db';
import { queueRollupRefresh, type JobQueues, type ReplacedRefreshJob } from '@kineo/jobs';
import type { Warehouse } from '@kineo/warehouse';

export interface StaleRollupScan {
  /** Active tenants whose published version was read. */
  checked: number;
  /** Tenants whose refresh was queued, with what was stale (and the finished job of the same id it replaced, if any). */
  queued: { tenantId: string; slug: string; version: number; stale: string[]; replaced?: ReplacedRefreshJob }[];
  /** Tenants whose version could not be read (each logged); the next start tries again. */
  unreadable: number;
}

/**
 * What a worker does when it starts (a deploy): every active tenant whose published version lacks
 * one of this release's rollups, or holds one from an older definition, gets a refresh queued. The
 * job id names the tenant, its version and this release's rollups, so replicas starting together
 * queue one refresh, and a release whose refresh already ran queues none.
 */
export async function queueStaleRollupRefreshes(deps: { prisma: PrismaClient; warehouse: Warehouse; queues: JobQueues; log: Logger }): Promise<StaleRollupScan> {
  const scan: StaleRollupScan = { checked: 0, queued: [], unreadable: 0 };
  const modelKey = rollupModelKey(deps.warehouse.dialect);
  const tenants = await deps.prisma.tenant.findMany({
    where: { status: 'active', dataVersion: { gt: 0 } },
    select: { id: true, slug: true, namespace: true, dataVersion: true },
    orderBy: { slug: 'asc' },
  });
  for (const tenant of tenants) {
    const ref = { tenantId: tenant.id, namespace: tenant.namespace };
    let state: PublishedRollups;
    try {
      state = await publishedRollups(deps.warehouse, ref, tenant.dataVersion);
      scan.checked++;
    } catch (err) {
      scan.unreadable++;
      deps.log.warn({ tenantId: tenant.id, version: tenant.dataVersion, err }, 'rollups refresh at start: the published version could not be read');
      continue;
    }
    // Versions published before the fleet recorded manifests get theirs here, at the first start of this release.
    await recordPublishedRollups(deps.prisma, tenant.id, tenant.dataVersion, state.manifest);
    const { stale } = state;
    if (stale.length === 0) continue;
    const { jobId, replaced } = await queueRollupRefresh(deps.queues, { tenantId: tenant.id, requestedBy: 'worker', jobId: `rollups-${tenant.id}-v${tenant.dataVersion}-${modelKey}` });
    if (replaced) {
      // Said where ops look (kineo tenant show lists the audit events): this release's refresh of
      // this version had run and ended without making it current, and runs again now.
      deps.log.warn({ tenantId: tenant.id, version: tenant.dataVersion, replaced }, `rollups refresh at start: the earlier refresh job of this version had ${replaced.state}; removed and queued anew`);
      await deps.prisma.auditEvent.create({
        data: { actor: 'worker', action: 'rollups.refresh_requeued', tenantId: tenant.id, details: { jobId, version: tenant.dataVersion, stale, replaced: { ...replaced } } },
      });
    }
    scan.queued.push({ tenantId: tenant.id, slug: tenant.slug, version: tenant.dataVersion, stale, ...(replaced ? { replaced } : {}) });
  }
  deps.log.info({ checked: scan.checked, queued: scan.queued.length, unreadable: scan.unreadable }, 'rollups refresh at start: stale tenants queued');
  return scan;
}
