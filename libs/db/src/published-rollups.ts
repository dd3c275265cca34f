import type { Prisma, PrismaClient } from '../generated/prisma';

/** A published version's rollup manifest as recorded for the fleet (`manifest`: its rows, as the analytics layer parses them). */
export interface PublishedRollupsRecord {
  tenantId: string;
  dataVersion: number;
  manifest: unknown[];
  recordedAt: Date;
}

/**
 * Records what a tenant's published version holds in its rollup manifest (the worker when it
 * publishes or scans, a gateway that had to read it). Only moves forward: a slow writer of an
 * older version never replaces a newer one's record.
 */
export async function recordPublishedRollups(prisma: PrismaClient, tenantId: string, dataVersion: number, manifest: readonly unknown[]): Promise<void> {
  const json = JSON.stringify(manifest);
  await prisma.$executeRaw`
    insert into published_rollups (tenant_id, data_version, manifest, recorded_at)
    values (${tenantId}::uuid, ${dataVersion}, ${json}::jsonb, now())
    on conflict (tenant_id) do update set data_version = excluded.data_version, manifest = excluded.manifest, recorded_at = excluded.recorded_at
    where published_rollups.data_version <= excluded.data_version`;
}

/** The records of these tenants, by tenant id (one query for a page of the fleet). */
export async function publishedRollupsOf(prisma: PrismaClient, tenantIds: readonly string[]): Promise<Map<string, PublishedRollupsRecord>> {
  if (tenantIds.length === 0) return new Map();
  const rows = await prisma.publishedRollups.findMany({ where: { tenantId: { in: [...tenantIds] } } });
  return new Map(rows.map((r) => [r.tenantId, { tenantId: r.tenantId, dataVersion: r.dataVersion, manifest: asArray(r.manifest), recordedAt: r.recordedAt }]));
}

function asArray(value: Prisma.JsonValue): unknown[] {
  return Array.isArray(value) ? value : [];
}
