import type { PrismaClient } from './client';
import type { BuildRun, IngestionRun } from '../generated/prisma';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from './pagination';
import type { StageRecord } from './runs';
import { dbCall, type TenantWithSubscription } from './tenants';

/** Runs that build the tenant's data, as opposed to provisioning or offboarding it. */
export const DATA_RUN_KINDS = ['load', 'rebuild'];

export interface CheckCounts {
  passed: number;
  failed: number;
}

export interface FleetEntry {
  tenant: TenantWithSubscription;
  lastLoad: IngestionRun | null;
  lastBuild: BuildRun | null;
  lastBuildChecks: CheckCounts;
  /** The run that published the current data version: a load's build, a rebuild or a rollups refresh; null before a first publish. */
  publishedBy: BuildRun | null;
  /** Rows of the facts and dimensions the published version holds, as recorded at publish; null before a first publish that recorded them, and once offboarded. */
  rows: number | null;
}

export interface FleetRequest extends PageRequest {
  /** Part of a slug or a name, any case. */
  search?: string | null;
}

/** Every tenant with what ops watch: plan, status, the latest load and build, data version, rows. */
export class FleetService {
  constructor(private readonly prisma: PrismaClient) {}

  async list(request: FleetRequest = {}): Promise<Page<FleetEntry>> {
    const size = pageSize(request.first);
    const after = decodeCursor(request.after);
    // Prisma's `contains` is a LIKE: its wildcards in what ops typed are meant as themselves.
    const search = request.search?.trim().replace(/[\\%_]/g, (c) => `\\${c}`);
    const tenants = await dbCall(() =>
      this.prisma.tenant.findMany({
        where: {
          ...(after ? { slug: { gt: after.key } } : {}),
          ...(search ? { OR: [{ slug: { contains: search, mode: 'insensitive' } }, { name: { contains: search, mode: 'insensitive' } }] } : {}),
        },
        orderBy: { slug: 'asc' },
        take: size + 1,
        include: { subscriptions: { include: { plan: true }, orderBy: { periodStart: 'desc' } } },
      }),
    );
    const page = toPage(tenants, size, (t) => ({ key: t.slug, id: t.id }));
    return { ...page, items: await Promise.all(page.items.map((t) => this.entry(t))) };
  }

  async entry(tenant: TenantWithSubscription): Promise<FleetEntry> {
    const [lastLoad, lastBuild, published] = await dbCall(() =>
      Promise.all([
        this.prisma.ingestionRun.findFirst({ where: { tenantId: tenant.id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
        this.prisma.buildRun.findFirst({ where: { tenantId: tenant.id, kind: { in: DATA_RUN_KINDS } }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
        tenant.dataVersion > 0
          ? this.prisma.buildRun.findFirst({ where: { tenantId: tenant.id, dataVersion: tenant.dataVersion }, orderBy: { createdAt: 'desc' } })
          : null,
      ]),
    );
    // An offboarded tenant's data is gone (its row counts are in the audit log's evidence): no rows to show.
    const rows = tenant.status === 'offboarded' ? null : await this.publishedRows(tenant.id, tenant.dataVersion);
    return { tenant, lastLoad, lastBuild, lastBuildChecks: checkCounts(lastBuild?.checks), publishedBy: published, rows };
  }

  /**
   * The data rows the published version holds, from the latest publish at or before it that counted
   * them: a rollups refresh derives its version from the one before and adds rollups only, so its
   * facts and dimensions are that version's (and the refresh publishes no count of its own).
   */
  private async publishedRows(tenantId: string, version: number): Promise<number | null> {
    if (version < 1) return null;
    const runs = await dbCall(() =>
      this.prisma.buildRun.findMany({
        where: { tenantId, status: 'succeeded', dataVersion: { gte: 1, lte: version } },
        orderBy: [{ dataVersion: 'desc' }, { createdAt: 'desc' }],
        take: PUBLISHES_LOOKED_BACK,
      }),
    );
    for (const run of runs) {
      const rows = publishedRows(run);
      if (rows !== null) return rows;
    }
    return null;
  }
}

export function checkCounts(checks: unknown): CheckCounts {
  const list = Array.isArray(checks) ? (checks as { status?: unknown }[]) : [];
  return { passed: list.filter((c) => c.status === 'passed').length, failed: list.filter((c) => c.status === 'failed').length };
}

/** Enough for the refreshes a tenant sees between two builds (one a release at most); older counts are not looked for. */
const PUBLISHES_LOOKED_BACK = 20;

/**
 * The rows of the tenant's data in gold: its facts and dimensions. Not the calendar (`dim_date`, the
 * same for every tenant), nor the rollups and their manifest, which a release adds or changes with
 * no new data, so the count moves only when the data does.
 */
export function goldDataRows(goldRows: Record<string, number>): number {
  return Object.entries(goldRows)
    .filter(([table]) => (table.startsWith('fact_') || table.startsWith('dim_')) && table !== 'dim_date')
    .reduce((n, [, rows]) => n + rows, 0);
}

/** The data rows a publish stage counted: from its rows per table, or the total a publish recorded before it kept them. */
export function publishedRows(run: BuildRun | null): number | null {
  const stages = (run?.stages ?? []) as unknown as StageRecord[];
  const details = stages.find((s) => s.stage === 'publish')?.details;
  const perTable = details?.goldRows;
  if (perTable && typeof perTable === 'object') return goldDataRows(perTable as Record<string, number>);
  return typeof details?.rows === 'number' ? details.rows : null;
}
