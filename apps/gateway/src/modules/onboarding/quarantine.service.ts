import { Readable } from 'node:stream';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import { createSecretStore, type Settings } from '@kineo/config';
import { DomainError } from '@kineo/errors';
import { AuditLog, decodeCursor, pageSize, PaginationError, TenantActivityService, toPage, type PageRequest, type PrismaClient } from '@kineo/db';
import { QUARANTINE_CSV_HEADER, quarantineCsv, readQuarantine, type QuarantineRow } from './quarantine-reader.util';
import { createWarehouse, type Warehouse } from '@kineo/warehouse';
import { InjectSettings } from '../../engine/config/settings.module';
import { InjectPrisma } from '../../engine/database/database.module';
import type { PageView } from './runs.types';

/** A load's quarantined rows (file, line, reason, raw), a page at a time or as a CSV download. */
@Injectable()
export class QuarantineService implements OnApplicationShutdown {
  private warehouse?: Promise<Warehouse>;
  private readonly activity: TenantActivityService;
  private readonly audit: AuditLog;

  constructor(
    @InjectSettings() private readonly settings: Settings,
    @InjectPrisma() prisma: PrismaClient,
  ) {
    this.activity = new TenantActivityService(prisma);
    this.audit = new AuditLog(prisma);
  }

  async page(tenant: TenantContext, loadId: string, file: string | null, request: PageRequest): Promise<PageView<QuarantineRow>> {
    const size = pageSize(request.first);
    const after = decodeCursor(request.after);
    if (after && !/^\d+$/.test(after.id)) throw new PaginationError('"after" is not a cursor from a previous page.', { argument: 'after' });
    const load = await this.activity.load(tenant.tenantId, loadId);
    const files = (Array.isArray(load.files) ? (load.files as { file?: unknown }[]) : []).map((f) => String(f.file));
    if (typeof file === 'string' && !files.includes(file)) {
      throw new DomainError('BAD_USER_INPUT', `"file" names no file of load ${load.id}: ${JSON.stringify(file)}. Its files are ${files.join(', ') || 'none'}.`, { argument: 'file' });
    }
    // Before its ingest has run, a load has nothing set aside (and bronze may not exist yet).
    if (load.status !== 'succeeded') return { items: [], endCursor: null, hasNextPage: false };
    const rows = await readQuarantine(await this.reader(), tenant, {
      loadId: load.id,
      file,
      after: after && { file: after.key, line: Number(after.id) },
      limit: size + 1,
    });
    return toPage(rows, size, (r) => ({ key: r.file, id: String(r.line) }));
  }

  /**
   * Streams the CSV; the download is audited, as any export of tenant data is, once its first rows
   * have been read (a refusal, such as WAREHOUSE_BUSY, is an error reply and no download).
   */
  async csv(tenant: TenantContext, loadId: string): Promise<Readable> {
    const load = await this.activity.load(tenant.tenantId, loadId);
    if (load.status !== 'succeeded') {
      await this.recordDownload(tenant, load.id);
      return Readable.from([QUARANTINE_CSV_HEADER]);
    }
    const chunks = quarantineCsv(await this.reader(), tenant, { loadId: load.id });
    const first = await chunks.next();
    try {
      await this.recordDownload(tenant, load.id);
    } catch (error) {
      await chunks.return(undefined);
      throw error;
    }
    return Readable.from(
      (async function* () {
        if (first.done !== true) yield first.value;
        yield* chunks;
      })(),
    );
  }

  private async recordDownload(tenant: TenantContext, loadId: string): Promise<void> {
    await this.audit.record({ actor: tenant.userId, action: 'load.quarantine_downloaded', tenantId: tenant.tenantId, details: { loadId } });
  }

  private reader(): Promise<Warehouse> {
    this.warehouse ??= createWarehouse(this.settings, createSecretStore(this.settings), 'reader');
    return this.warehouse;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.warehouse) await (await this.warehouse).close();
  }
}
