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
  /** Gold rows of the published version, as recorded at publish; null before a first publish that recorded them, and once offboarded. */
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
    const search = request.search?.trim();
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
          ? this.prisma.buildRun.findFirst({ where: { tenantId: tenant.id, dataVersion: tenant.dataVersion, status: 'succeeded' } })
          : null,
      ]),
    );
    // An offboarded tenant's data is gone (its row counts are in the audit log's evidence): no rows to show.
    const rows = tenant.status === 'offboarded' ? null : publishedRows(published);
    return { tenant, lastLoad, lastBuild, lastBuildChecks: checkCounts(lastBuild?.checks), rows };
  }
}

export function checkCounts(checks: unknown): CheckCounts {
  const list = Array.isArray(checks) ? (checks as { status?: unknown }[]) : [];
  return { passed: list.filter((c) => c.status === 'passed').length, failed: list.filter((c) => c.status === 'failed').length };
}

/** The gold row total the publish stage recorded in its details. */
export function publishedRows(run: BuildRun | null): number | null {
  const stages = (run?.stages ?? []) as unknown as StageRecord[];
  const rows = stages.find((s) => s.stage === 'publish')?.details?.rows;
  return typeof rows === 'number' ? rows : null;
}
