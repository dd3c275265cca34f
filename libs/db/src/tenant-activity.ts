import type { PrismaClient } from './client';
import type { AuditEvent, BuildRun, IngestionRun } from '../generated/prisma';
import { decodeCursor, isUuid, olderThan, pageSize, PaginationError, toPage, type Page, type PageRequest } from './pagination';
import { dbCall, TenantError } from './tenants';

export type LoadRun = IngestionRun & { buildRuns: BuildRun[] };

const byNewest = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];
const createdPosition = (row: { createdAt: Date; id: string }) => ({ key: row.createdAt.toISOString(), id: row.id });

/**
 * A tenant's loads, runs and audit log, newest first, a bounded page at a time (keyset, so a page
 * stays right while new runs arrive). The API and `kineo tenant show` read through this.
 */
export class TenantActivityService {
  constructor(private readonly prisma: PrismaClient) {}

  /** Loads (ingestion runs) with the build each started. */
  async loads(tenantId: string, request: PageRequest = {}): Promise<Page<LoadRun>> {
    const size = pageSize(request.first);
    const rows = await dbCall(() =>
      this.prisma.ingestionRun.findMany({
        where: { tenantId, ...olderThan(decodeCursor(request.after)) },
        orderBy: byNewest,
        take: size + 1,
        include: { buildRuns: { orderBy: { createdAt: 'desc' } } },
      }),
    );
    return toPage(rows, size, createdPosition);
  }

  /** One load of this tenant; another tenant's id is not found, exactly like an unknown one. */
  async load(tenantId: string, id: string): Promise<LoadRun> {
    const run = isUuid(id)
      ? await dbCall(() =>
          this.prisma.ingestionRun.findFirst({ where: { id, tenantId }, include: { buildRuns: { orderBy: { createdAt: 'desc' } } } }),
        )
      : null;
    if (!run) throw new TenantError('LOAD_NOT_FOUND', `No load with id "${id}" in this organisation.`, { id });
    return run;
  }

  /** Every run of the tenant (provision, load, rebuild, offboard). */
  async runs(tenantId: string, request: PageRequest = {}): Promise<Page<BuildRun>> {
    const size = pageSize(request.first);
    const rows = await dbCall(() =>
      this.prisma.buildRun.findMany({ where: { tenantId, ...olderThan(decodeCursor(request.after)) }, orderBy: byNewest, take: size + 1 }),
    );
    return toPage(rows, size, createdPosition);
  }

  /** Audit events by id, which the database assigns in commit order: newest first. */
  async audit(tenantId: string, request: PageRequest = {}): Promise<Page<AuditEvent>> {
    const size = pageSize(request.first);
    const position = decodeCursor(request.after);
    if (position && !/^\d+$/.test(position.id)) throw new PaginationError('"after" is not a cursor from a previous page.', { argument: 'after' });
    const rows = await dbCall(() =>
      this.prisma.auditEvent.findMany({
        where: { tenantId, ...(position ? { id: { lt: BigInt(position.id) } } : {}) },
        orderBy: { id: 'desc' },
        take: size + 1,
      }),
    );
    return toPage(rows, size, (row) => ({ key: row.createdAt.toISOString(), id: String(row.id) }));
  }
}
