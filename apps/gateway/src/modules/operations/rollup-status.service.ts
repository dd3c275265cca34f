import { Injectable, Logger } from '@nestjs/common';
import { publishedRollups, staleRollups, type RollupManifestEntry } from '@kineo/analytics';
import { publishedRollupsOf, recordPublishedRollups, type PrismaClient } from '@kineo/db';
import type { Warehouse } from '@kineo/warehouse';
import { InjectPrisma } from '../../engine/database/database.module';
import { InjectWarehouse } from '../../engine/warehouse/warehouse.module';
import { RollupState, type RollupStatusView } from './operations.types';

interface TenantVersion {
  id: string;
  namespace: string;
  status: string;
  dataVersion: number;
}

/**
 * Whether each tenant's published rollups are current with this gateway's model, for the fleet.
 * The worker records every published version's manifest in Postgres (and its start-up scan records
 * the ones published before it did), so a fleet page is one query and no warehouse is opened. A
 * version with no record yet is read from the warehouse once, recorded for every gateway, and kept
 * here until the tenant's version moves.
 */
@Injectable()
export class RollupStatusService {
  private readonly logger = new Logger(RollupStatusService.name);
  private readonly read = new Map<string, { version: number; manifest: Promise<RollupManifestEntry[]> }>();

  constructor(
    @InjectPrisma() private readonly prisma: PrismaClient,
    @InjectWarehouse() private readonly warehouse: Warehouse,
  ) {}

  async statuses(tenants: readonly TenantVersion[]): Promise<Map<string, RollupStatusView>> {
    const published = tenants.filter((t) => t.dataVersion > 0 && t.status !== 'offboarded');
    const records = await publishedRollupsOf(this.prisma, published.map((t) => t.id));
    const result = new Map<string, RollupStatusView>(tenants.map((t) => [t.id, { state: RollupState.none, version: null, stale: [], error: null }]));
    // One at a time: unrecorded versions are rare (a gateway ahead of the worker's scan), and each read opens a snapshot.
    for (const tenant of published) {
      const record = records.get(tenant.id);
      try {
        const manifest = record?.dataVersion === tenant.dataVersion ? manifestOf(record.manifest) : await this.readOnce(tenant);
        const stale = staleRollups(manifest, this.warehouse.dialect);
        result.set(tenant.id, { state: stale.length > 0 ? RollupState.stale : RollupState.current, version: tenant.dataVersion, stale, error: null });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.logger.warn(`The rollup manifest of tenant ${tenant.id} v${tenant.dataVersion} could not be read: ${message}`);
        result.set(tenant.id, { state: RollupState.unknown, version: tenant.dataVersion, stale: [], error: `Version ${tenant.dataVersion}'s rollup manifest could not be read.` });
      }
    }
    return result;
  }

  private readOnce(tenant: TenantVersion): Promise<RollupManifestEntry[]> {
    const known = this.read.get(tenant.id);
    if (known?.version === tenant.dataVersion) return known.manifest;
    const manifest = publishedRollups(this.warehouse, { tenantId: tenant.id, namespace: tenant.namespace }, tenant.dataVersion).then(async (state) => {
      await recordPublishedRollups(this.prisma, tenant.id, tenant.dataVersion, state.manifest);
      return state.manifest;
    });
    this.read.set(tenant.id, { version: tenant.dataVersion, manifest });
    // A failed read is tried again at the next request, not remembered.
    manifest.catch(() => this.read.get(tenant.id)?.manifest === manifest && this.read.delete(tenant.id));
    return manifest;
  }
}

/** The recorded rows, as parseRollupManifest made them; anything else reads as absent (stale). */
function manifestOf(rows: readonly unknown[]): RollupManifestEntry[] {
  return rows.flatMap((row) => {
    const r = row as Partial<Record<keyof RollupManifestEntry, unknown>>;
    return typeof r.rollup === 'string' && typeof r.table === 'string' && typeof r.signature === 'string'
      ? [{ rollup: r.rollup, table: r.table, signature: r.signature, asOfKey: Number(r.asOfKey), rows: Number(r.rows) }]
      : [];
  });
}
