import { once } from 'node:events';
import { PassThrough, type Writable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  compileDrill,
  compileQuery,
  dashboardQueries,
  inCallersFilters,
  MAX_PAGE_SIZE,
  type AnalyticsFilter,
  type AnalyticsQuery,
  type AnalyticsScope,
  type CompiledQuery,
  type DrillRequest,
  type PartialPeriod,
  type PartialStart,
} from '@kineo/analytics';
import type { TenantContext } from '@kineo/auth';
import type { Settings } from '@kineo/config';
import { DEFAULT_LOCALE, type Prisma, type PrismaClient } from '@kineo/db';
import { DomainError } from '@kineo/errors';
import type { Row, TenantNamespace, Warehouse } from '@kineo/warehouse';
import { z } from 'zod';
import { SETTINGS } from '../../engine/config/settings.module';
import { PRISMA } from '../../engine/database/database.module';
import { WAREHOUSE } from '../../engine/warehouse/warehouse.module';
import { toAnalyticsError } from './analytics-errors.util';
import { AnalyticsScopeService } from './analytics-scope.service';
import { AnalyticsService, jsonRow, namespaceOf } from './analytics.service';
import { aboutRows, organisationIdsOf, partialPeriodSentence, partialStartSentence, type ExportProvenance } from './export-about.util';
import { EXPORT_FORMATS, exportFileName, writeExport, type ExportFormat } from './export-writer.util';

/** Rows read from the warehouse at a time while exporting: the most an export holds in memory. */
const EXPORT_CHUNK_ROWS = 2000;

const filterSchema = z.object({ member: z.string(), operator: z.string(), values: z.array(z.union([z.string(), z.number(), z.boolean()])).optional() });

const exportRequestSchema = z
  .object({
    format: z.enum(EXPORT_FORMATS),
    reach: z.enum(['all', 'direct']).optional(),
    query: z.record(z.string(), z.unknown()).optional(),
    dashboardId: z.string().min(1).optional(),
    tileId: z.string().min(1).optional(),
    filters: z.array(filterSchema).optional(),
    drill: z
      .object({
        query: z.record(z.string(), z.unknown()),
        cell: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
        measure: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((request, ctx) => {
    const sources = [request.query !== undefined, request.dashboardId !== undefined, request.drill !== undefined].filter(Boolean).length;
    if (sources !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of "query", "dashboardId" (with "tileId") or "drill"' });
    if (request.dashboardId !== undefined && request.tileId === undefined) ctx.addIssue({ code: 'custom', path: ['tileId'], message: 'name the tile of the dashboard to export' });
    if (request.tileId !== undefined && request.dashboardId === undefined) ctx.addIssue({ code: 'custom', path: ['dashboardId'], message: 'a tile needs its dashboardId' });
    if (request.filters !== undefined && request.dashboardId === undefined) ctx.addIssue({ code: 'custom', path: ['filters'], message: 'filters apply to a dashboard tile; put a query\'s filters in the query' });
  });

export type ExportRequest = z.infer<typeof exportRequestSchema>;

export class ExportRequestError extends DomainError {
  readonly httpStatus = 400;
}

export function parseExportRequest(body: unknown): ExportRequest {
  const parsed = exportRequestSchema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`);
  throw new ExportRequestError('INVALID_EXPORT', `The export request is not valid: ${problems.join('; ')}.`, { problems });
}

/** An export ready to stream: compiled with the caller's scope on one published version. */
export interface PreparedExport {
  fileName: string;
  contentType: string;
  dataVersion: number;
  asOf: string;
  /** The exported time series' last period, which the data or the asked range ends inside (its figures are incomplete); null for none. */
  partialPeriod: PartialPeriod | null;
  /** Its first period, which the asked range starts inside; null for none. */
  partialStart: PartialStart | null;
  write(out: Writable): Promise<number>;
}

/**
 * CSV and XLSX exports of an analytics query, a dashboard tile or a drill list, compiled with the
 * same scope the caller's GraphQL answers get and streamed from the warehouse chunk by chunk.
 * Every export is audited before its first byte leaves, and the audit event gets its row count when
 * it ends.
 */
@Injectable()
export class ExportsService {
  private readonly logger = new Logger('Exports');

  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly analytics: AnalyticsService,
    private readonly scopes: AnalyticsScopeService,
  ) {}

  /** `locale`: the tenant's, for the XLSX's sentence about an incomplete period. */
  async prepare(tenant: TenantContext, request: ExportRequest, format: ExportFormat = request.format, locale = DEFAULT_LOCALE): Promise<PreparedExport> {
    const scope = await this.scopes.scopeOf(tenant, request.reach ?? 'all');
    const published = await this.analytics.publishedFor(tenant);
    const options = { asOf: published.asOf, noLimit: true as const };
    const { compiled, query, what, source, drill } = this.compile(tenant, scope, request, options);
    // Known before any row flows (the query and the version's dim_date decide it), so a streamed
    // file can carry it in a header. A drill list's rows are learners, with no period column to mark.
    const granularity = drill ? undefined : query.timeDimension?.granularity;
    const found = granularity ? await this.analytics.seriesEdges(tenant, published, query) : undefined;
    const periodColumn = found?.partialPeriod ?? found?.partialStart ? compiled.columns.find((c) => c.key === `${query.timeDimension!.dimension}.${granularity}`) : undefined;
    const partialPeriod = periodColumn ? (found?.partialPeriod ?? null) : null;
    const partialStart = periodColumn ? (found?.partialStart ?? null) : null;
    const audit = await this.prisma.auditEvent.create({
      data: {
        actor: tenant.userId,
        action: 'analytics.exported',
        tenantId: tenant.tenantId,
        details: {
          format,
          what,
          source,
          scope,
          dataVersion: published.version,
          asOf: published.asOf,
          role: tenant.role,
          ...(partialPeriod ? { partialPeriod: { ...partialPeriod } } : {}),
          ...(partialStart ? { partialStart: { ...partialStart } } : {}),
        } as Prisma.InputJsonValue,
      },
      select: { id: true, details: true },
    });
    const timeoutMs = this.settings.WAREHOUSE_STATEMENT_TIMEOUT_MS;
    const ref = namespaceOf(tenant);
    // An XLSX's About sheet names the organisations its subtree filters and viewer scope give by id.
    const organisationNames = format === 'xlsx' ? await this.organisationNamesOf(ref, published.version, organisationIdsOf(query, scope), timeoutMs) : undefined;
    const stream = drill
      ? this.drillPages(ref, drill, scope, { asOf: published.asOf }, published.version, timeoutMs)
      : this.warehouse.streamPublished(ref, compiled.sql, compiled.params, { version: published.version, timeoutMs, chunkSize: EXPORT_CHUNK_ROWS });
    // The statement starts before any header is sent, so a query that fails at once is a clean error
    // response, not a 200 with a cut-off file.
    // A statement failing at once is explained as the dashboards explain it (a gold column the
    // version lacks is NEEDS_NEXT_BUILD, not an internal error).
    const chunks = await startedStream(stream, (error) => this.analytics.failureOf(tenant, published.version, error, { query, scope }, timeoutMs));
    return {
      fileName: exportFileName(what, published.version, format),
      contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      dataVersion: published.version,
      asOf: published.asOf,
      partialPeriod,
      partialStart,
      write: async (out) => {
        // The file goes through `body`, and the response ends only once the audit event has its row
        // count: whoever holds the whole file can find the event saying how many rows it has.
        const body = new PassThrough();
        body.pipe(out, { end: false });
        const drained = once(body, 'end');
        let rows = 0;
        let completed = false;
        // As the portal's charts: a period's sentence only when the rows hold it (a filter or limit may leave it out).
        const held = new Set<'end' | 'start'>();
        const provenance: ExportProvenance = { what, query, source, scope, dataVersion: published.version, asOf: published.asOf, auditEventId: String(audit.id), organisationNames };
        const sentences = {
          start: partialStart && periodColumn && granularity ? partialStartSentence(partialStart, granularity, periodColumn.title, locale) : undefined,
          end: partialPeriod && periodColumn && granularity ? partialPeriodSentence(partialPeriod, granularity, periodColumn.title, locale) : undefined,
        };
        try {
          let data = jsonChunks(chunks, timeoutMs, (n) => (rows = n));
          if (partialStart) data = watchedFor(data, partialStart, () => held.add('start'));
          if (partialPeriod) data = watchedFor(data, partialPeriod, () => held.add('end'));
          const about = (n: number) =>
            aboutRows(
              provenance,
              n,
              (['start', 'end'] as const).flatMap((edge) => (held.has(edge) && sentences[edge] ? [sentences[edge]] : [])),
            );
          rows = await writeExport(format, compiled.columns, data, body, about);
          completed = true;
        } finally {
          const details = { ...(audit.details as Record<string, unknown>), rows, completed } as Prisma.InputJsonValue;
          await this.prisma.auditEvent.update({ where: { id: audit.id }, data: { details } }).catch((error: Error) => {
            this.logger.error(`Could not record the row count of export audit event ${audit.id}: ${error.message}`);
          });
        }
        await drained;
        out.end();
        return rows;
      },
    };
  }

  /**
   * The names the export's version gives these organisations (at most a viewer's grants and a few
   * filter values). Names are a nicety of the About sheet: a failure to read them leaves the ids, and
   * the file is still made.
   */
  private async organisationNamesOf(ref: TenantNamespace, version: number, ids: number[], timeoutMs: number): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map();
    try {
      // Every column: `label` (as the dashboards name an organisation) where the version has it, else the name.
      const { rows } = await this.warehouse.queryPublished<{ organisation_id: number | bigint; name: string; label?: string | null }>(
        ref,
        `select * from gold.dim_organisation where organisation_id in (${ids.map(() => '?').join(', ')})`,
        ids,
        { version, timeoutMs },
      );
      return new Map(rows.map((r) => [Number(r.organisation_id), r.label ?? r.name]));
    } catch (error) {
      this.logger.warn(`Could not read the organisations' names for an export's About sheet: ${(error as Error).message}`);
      return new Map();
    }
  }

  /**
   * A drill list has no unlimited form: it is read page after page along its keyset, on one
   * version, each page as large as the model allows, so memory holds one page.
   */
  private async *drillPages(
    ref: TenantNamespace,
    drill: DrillRequest,
    scope: AnalyticsScope,
    options: { asOf: string },
    version: number,
    timeoutMs: number,
  ): AsyncGenerator<Row[]> {
    let after: string | undefined;
    for (;;) {
      const compiled = this.analytics.translated(() => compileDrill({ ...drill, pageSize: MAX_PAGE_SIZE, ...(after ? { after } : {}) }, scope, this.warehouse.dialect, options));
      const { rows } = await this.warehouse.queryPublished(ref, compiled.sql, compiled.params, { version, timeoutMs });
      if (rows.length > 0) yield rows;
      if (rows.length < compiled.pageSize) return;
      after = compiled.cursorOf(rows[rows.length - 1]);
    }
  }

  private compile(
    tenant: TenantContext,
    scope: AnalyticsScope,
    request: ExportRequest,
    options: { asOf: string; noLimit: true },
  ): { compiled: CompiledQuery; query: AnalyticsQuery; what: string; source: Record<string, unknown>; drill?: DrillRequest } {
    const dialect = this.warehouse.dialect;
    if (request.drill) {
      const query = this.analytics.validated(request.drill.query);
      const drill = { query, cell: request.drill.cell, ...(request.drill.measure ? { measure: request.drill.measure } : {}) };
      const compiled = this.analytics.translated(() => compileDrill({ ...drill, pageSize: MAX_PAGE_SIZE }, scope, dialect, options));
      return { compiled, query, what: `drill ${query.measures.join(' ')}`, source: { drill }, drill };
    }
    if (request.dashboardId !== undefined) {
      this.analytics.dashboardFor(tenant, request.dashboardId);
      const tiles = this.analytics.translated(() => dashboardQueries(request.dashboardId!, (request.filters ?? []) as AnalyticsFilter[]));
      const found = tiles.find((t) => t.tile.id === request.tileId);
      if (!found) {
        throw new ExportRequestError(
          'UNKNOWN_TILE',
          `The dashboard "${request.dashboardId}" has no tile "${request.tileId}"; it has ${tiles.map((t) => `"${t.tile.id}"`).join(', ')}.`,
        );
      }
      const compiled = this.analytics.translated(() => inCallersFilters(found.filterOrigins, () => compileQuery(found.query, scope, dialect, options)));
      return { compiled, query: found.query, what: `${request.dashboardId} ${found.tile.id}`, source: { dashboardId: request.dashboardId, tileId: found.tile.id, filters: request.filters ?? [] } };
    }
    const query: AnalyticsQuery = this.analytics.validated(request.query);
    const compiled = this.analytics.translated(() => compileQuery(query, scope, dialect, options));
    return { compiled, query, what: query.measures.join(' '), source: { query } };
  }
}

async function startedStream(stream: AsyncGenerator<Row[]>, failureOf: (error: unknown) => Promise<unknown>): Promise<AsyncGenerator<Row[]>> {
  let first: IteratorResult<Row[]>;
  try {
    first = await stream.next();
  } catch (error) {
    throw await failureOf(error);
  }
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* stream;
  })();
}

/** The chunks as they are, calling `seen` for each chunk holding a row of the incomplete period. */
async function* watchedFor(chunks: AsyncGenerator<Row[]>, period: Pick<PartialPeriod, 'column' | 'value'>, seen: () => void): AsyncGenerator<Row[]> {
  const value = String(period.value);
  for await (const chunk of chunks) {
    if (chunk.some((row) => String(row[period.column]) === value)) seen();
    yield chunk;
  }
}

/** The warehouse's chunks as JSON-friendly rows, its failures as errors a client may see. */
async function* jsonChunks(chunks: AsyncGenerator<Row[]>, timeoutMs: number, progress: (rows: number) => void): AsyncGenerator<Row[]> {
  let rows = 0;
  try {
    for await (const chunk of chunks) {
      rows += chunk.length;
      progress(rows);
      yield chunk.map(jsonRow);
    }
  } catch (error) {
    throw toAnalyticsError(error, timeoutMs);
  }
}
