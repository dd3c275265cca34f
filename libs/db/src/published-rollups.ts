import type { Prisma, PrismaClient } from '../generated/prisma';

/** A published version's gold tables: table → its columns (sorted), null where the version has no such table. */
export type RecordedGoldColumns = Record<string, string[] | null>;

/** A published version's rollup manifest as recorded for the fleet (`manifest`: its rows, as the analytics layer parses them). */
export interface PublishedRollupsRecord {
  tenantId: string;
  dataVersion: number;
  manifest: unknown[];
  /** The gold tables whose columns are known for this version; null when none were recorded (an older release's record). */
  goldColumns: RecordedGoldColumns | null;
  recordedAt: Date;
}

/**
 * Records what a tenant's published version holds in its rollup manifest (the worker when it
 * publishes or scans, a gateway that had to read it) and, when the writer read them, its gold
 * columns. Only moves forward: a slow writer of an older version never replaces a newer one's record.
 * A version's gold never changes, so a writer of the same version without columns keeps those
 * recorded, and tables it did read are added to them; a newer version starts without any.
 */
export async function recordPublishedRollups(
  prisma: PrismaClient,
  tenantId: string,
  dataVersion: number,
  manifest: readonly unknown[],
  goldColumns?: RecordedGoldColumns,
): Promise<void> {
  const json = JSON.stringify(manifest);
  const columns = goldColumns ? JSON.stringify(goldColumns) : null;
  // Columns are trusted only beside the version they were read of (gold_columns_version): a writer
  // of a release before them moves data_version and leaves them as they were.
  await prisma.$executeRaw`
    insert into published_rollups (tenant_id, data_version, manifest, gold_columns, gold_columns_version, recorded_at)
    values (${tenantId}::uuid, ${dataVersion}, ${json}::jsonb, ${columns}::jsonb, ${columns === null ? null : dataVersion}::int, now())
    on conflict (tenant_id) do update set data_version = excluded.data_version, manifest = excluded.manifest, recorded_at = excluded.recorded_at,
      gold_columns = case
        when published_rollups.gold_columns_version is distinct from excluded.data_version or published_rollups.gold_columns is null then excluded.gold_columns
        when excluded.gold_columns is null then published_rollups.gold_columns
        else published_rollups.gold_columns || excluded.gold_columns end,
      gold_columns_version = case when excluded.gold_columns is not null or published_rollups.gold_columns_version = excluded.data_version
        then excluded.data_version end
    where published_rollups.data_version <= excluded.data_version`;
}

/** The records of these tenants, by tenant id (one query for a page of the fleet). */
export async function publishedRollupsOf(prisma: PrismaClient, tenantIds: readonly string[]): Promise<Map<string, PublishedRollupsRecord>> {
  if (tenantIds.length === 0) return new Map();
  const rows = await prisma.publishedRollups.findMany({ where: { tenantId: { in: [...tenantIds] } } });
  return new Map(
    rows.map((r) => [r.tenantId, { tenantId: r.tenantId, dataVersion: r.dataVersion, manifest: asArray(r.manifest), goldColumns: r.goldColumnsVersion === r.dataVersion ? asGoldColumns(r.goldColumns) : null, recordedAt: r.recordedAt }]),
  );
}

function asArray(value: Prisma.JsonValue): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Anything but an object of tables to string lists (or null) reads as not recorded, so the version is read again. */
function asGoldColumns(value: Prisma.JsonValue | null): RecordedGoldColumns | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const out: RecordedGoldColumns = {};
  for (const [table, columns] of Object.entries(value)) {
    if (columns === null) out[table] = null;
    else if (Array.isArray(columns) && columns.every((c) => typeof c === 'string')) out[table] = columns;
    else return null;
  }
  return Object.keys(out).length > 0 ? out : null;
}
