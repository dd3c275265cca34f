import type { Logger } from 'pino';
import {
  goldColumnsKey,
  goldColumnsRead,
  goldColumnsRecord,
  missingGoldColumns,
  publishedGoldColumns,
  publishedRollups,
  recordedGoldColumns,
  rollupModelKey,
  staleRollups,
  type PublishedGoldColumns,
  type RollupManifestEntry,
} from '@kineo/analytics';
import { publishedRollupsOf, recordPublishedRollups, type PrismaClient } from '@kineo/db';
import { queueGoldRebuild, queueRollupRefresh, type JobQueues, type QueuedGoldRebuild, type ReplacedRefreshJob } from '@kineo/jobs';
import type { Warehouse } from '@kineo/warehouse';

export interface StaleRollupScan {
  /** Active tenants whose published version was read (from its record or the warehouse). */
  checked: number;
  /** Of those, the tenants whose version had to be read from the warehouse (no record of its manifest and gold columns). */
  readFromWarehouse: number;
  /** Tenants whose refresh was queued, with what was stale (and the finished job of the same id it replaced, if any). */
  queued: { tenantId: string; slug: string; version: number; stale: string[]; replaced?: ReplacedRefreshJob }[];
  /**
   * Tenants whose published gold lacks columns this release reads, with a rebuild from bronze
   * queued instead of a refresh (buildRunId null: it was queued already, by another replica or start,
   * or its last allowed attempt failed: gaveUp), and which attempt it is.
   */
  rebuilds: ({ tenantId: string; slug: string; version: number; missing: string[] } & Omit<QueuedGoldRebuild, 'jobIdPrefix'>)[];
  /** Tenants whose version could not be read, or whose rebuild could not be queued (each logged); the next start tries again. */
  unreadable: number;
}

/**
 * What a worker does when it starts (a deploy). A tenant whose published gold lacks a column this
 * release's model reads gets a rebuild from bronze (a refresh copies that gold and cannot add the
 * column; the rebuild makes the rollups too). Otherwise, every active tenant whose published version lacks
 * one of this release's rollups, or holds one from an older definition, gets a refresh queued. The
 * job id names the tenant, its version and this release's rollups, so replicas starting together
 * queue one refresh, and a release whose refresh already ran queues none.
 */
export async function queueStaleRollupRefreshes(deps: { prisma: PrismaClient; warehouse: Warehouse; queues: JobQueues; log: Logger }): Promise<StaleRollupScan> {
  const scan: StaleRollupScan = { checked: 0, readFromWarehouse: 0, queued: [], rebuilds: [], unreadable: 0 };
  const modelKey = rollupModelKey(deps.warehouse.dialect);
  const goldRead = goldColumnsRead();
  const releaseKey = goldColumnsKey();
  const tenants = await deps.prisma.tenant.findMany({
    where: { status: 'active', dataVersion: { gt: 0 } },
    select: { id: true, slug: true, namespace: true, dataVersion: true },
    orderBy: { slug: 'asc' },
  });
  // A published version's gold never changes: once recorded, a start reads Postgres only.
  const records = await publishedRollupsOf(deps.prisma, tenants.map((t) => t.id));
  for (const tenant of tenants) {
    const ref = { tenantId: tenant.id, namespace: tenant.namespace };
    const record = records.get(tenant.id);
    const recorded = record?.dataVersion === tenant.dataVersion ? recordedGoldColumns(record.goldColumns, goldRead.keys()) : undefined;
    let stale: string[];
    let missing: string[];
    if (record && recorded) {
      // The record holds what the version has; the verdicts are this release's, as if read.
      // The manifest is parseRollupManifest's rows, as the worker or a gateway wrote them.
      stale = staleRollups(record.manifest as RollupManifestEntry[], deps.warehouse.dialect);
      missing = missingGoldColumns(goldRead, recorded);
      scan.checked++;
    } else {
      let manifest: RollupManifestEntry[];
      let columns: PublishedGoldColumns;
      try {
        ({ manifest, stale } = await publishedRollups(deps.warehouse, ref, tenant.dataVersion));
        columns = await publishedGoldColumns(deps.warehouse, ref, tenant.dataVersion, goldRead.keys());
        missing = missingGoldColumns(goldRead, columns);
        scan.checked++;
        scan.readFromWarehouse++;
      } catch (err) {
        scan.unreadable++;
        deps.log.warn({ tenantId: tenant.id, version: tenant.dataVersion, err }, 'rollups refresh at start: the published version could not be read');
        continue;
      }
      // Versions published before the fleet recorded manifests (or gold columns) get theirs here, at the first start of this release.
      await recordPublishedRollups(deps.prisma, tenant.id, tenant.dataVersion, manifest, goldColumnsRecord(columns, goldRead.keys()));
    }
    if (missing.length > 0) {
      try {
        // As at the version's own day, so a tenant's figures move only by what the release changed.
        const run = await deps.prisma.buildRun.findFirst({ where: { tenantId: tenant.id, dataVersion: tenant.dataVersion, asOf: { not: null } }, select: { asOf: true } });
        const { jobIdPrefix, ...queued } = await queueGoldRebuild(deps.prisma, deps.queues, { tenantId: tenant.id, version: tenant.dataVersion, releaseKey, missing, asOf: run?.asOf ?? undefined });
        scan.rebuilds.push({ tenantId: tenant.id, slug: tenant.slug, version: tenant.dataVersion, missing, ...queued });
        if (queued.gaveUp) deps.log.warn({ tenantId: tenant.id, version: tenant.dataVersion, jobIdPrefix, attempts: queued.attempt, missing }, 'gold columns at start: every rebuild attempt failed; only "kineo tenant rebuild" tries again');
        else if (queued.replaced) deps.log.warn({ tenantId: tenant.id, version: tenant.dataVersion, attempt: queued.attempt, replaced: queued.replaced }, 'gold columns at start: the earlier rebuild failed; queued again');
      } catch (err) {
        scan.unreadable++;
        deps.log.warn({ tenantId: tenant.id, version: tenant.dataVersion, missing, err }, 'gold columns at start: the rebuild could not be queued');
      }
      continue;
    }
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
  if (scan.rebuilds.length > 0) {
    deps.log.info(
      { rebuilds: scan.rebuilds.length, newlyQueued: scan.rebuilds.filter((r) => r.buildRunId).length, columns: [...new Set(scan.rebuilds.flatMap((r) => r.missing))] },
      'gold columns at start: rebuilds queued for tenants whose published gold lacks columns this release reads',
    );
  }
  deps.log.info({ checked: scan.checked, readFromWarehouse: scan.readFromWarehouse, queued: scan.queued.length, rebuilds: scan.rebuilds.length, unreadable: scan.unreadable }, 'rollups refresh at start: stale tenants queued');
  return scan;
}
