import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import {
  compileDrill,
  compileQuery,
  DASHBOARDS,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  dashboardQueries,
  inCallersFilters,
  describeModel,
  goldColumnsOfQuery,
  missingGoldColumns,
  modelFingerprint,
  dayPeriods,
  edgeDays,
  periodsOfDaysStatement,
  publishedGoldColumns,
  seriesEdges,
  type PublishedGoldColumns,
  queryIdentity,
  validateQuery,
  type AnalyticsFilter,
  type AnalyticsQuery,
  type AnalyticsScope,
  type CompiledColumn,
  type CompiledQuery,
  type DashboardDefinition,
  type DashboardTile,
  type DrillRequest,
  type ModelMeta,
  type PartialPeriod,
  type PartialStart,
  type SeriesEdges,
  parseRollupManifest,
  ROLLUP_MANIFEST_QUERY,
  type RollupManifestEntry,
} from '@kineo/analytics';
import type { TenantContext } from '@kineo/auth';
import type { Settings } from '@kineo/config';
import type { PrismaClient } from '@kineo/db';
import { DomainError, isDomainError } from '@kineo/errors';
import type { Dialect, Row, TenantNamespace, Warehouse } from '@kineo/warehouse';
import { ResultCache, type CacheCodec, type CacheKeyParts, type Prefetched } from '../../engine/cache/result-cache.service';
import type { JsonText } from '../../engine/graphql/json-fragments.util';
import { SETTINGS } from '../../engine/config/settings.module';
import { PRISMA } from '../../engine/database/database.module';
import { MetricsService } from '../../engine/metrics/metrics.service';
import { PublishedVersions, type PublishedVersion } from '../../engine/warehouse/published-versions.service';
import { WAREHOUSE } from '../../engine/warehouse/warehouse.module';
import { needsNextBuild, noDataYet, toAnalyticsError } from './analytics-errors.util';

const NO_EDGES: SeriesEdges = { partialPeriod: null, partialStart: null };
/** Days of dim_date kept per tenant and version (a few per distinct range asked for). */
const MAX_PERIOD_DAYS = 2_000;

/** What every answer carries: the data it was computed on. */
export interface AnswerVersion {
  dataVersion: number;
  /** The build's reference time (ISO-8601). */
  asOf: string;
}

export interface Answer extends AnswerVersion {
  columns: CompiledColumn[];
  /** The rows as JSON text (an array of objects keyed by column key): as stored, spliced into the reply unparsed. */
  rowsJson: JsonText;
  cached: boolean;
  /** The rollup (pre-aggregation, 'Cube.rollup') that answered; null when the fact tables did. */
  rollup: string | null;
  /** The time series' last period, which the data or the asked range ends inside (its figures are incomplete); null for none. */
  partialPeriod?: PartialPeriod | null;
  /** The time series' first period, which the asked range starts inside; null for none. */
  partialStart?: PartialStart | null;
  /** Rows past the query's limit exist (the next page, for a query with an offset). */
  hasMore: boolean;
  /** The rows of the whole answer, without limit or offset: only when the query asked (`total`), null otherwise. */
  total: number | null;
}

export interface DrillAnswer extends Answer {
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
  /** How many rows the whole list has: on its first page only, null on later ones. */
  total: number | null;
}

/** A dashboard tile: its answer, or why it has none (its query failed; the other tiles still answer). */
export type DashboardTileAnswer = { tile: DashboardTile; query: AnalyticsQuery } & ({ answer: Answer; error?: undefined } | { answer?: undefined; error: unknown });

export interface DashboardAnswer extends AnswerVersion {
  definition: DashboardDefinition;
  tiles: DashboardTileAnswer[];
}

/** The caller's tenant as far as reading its data goes. */
export type AnalyticsTenant = Pick<TenantContext, 'tenantId' | 'namespace' | 'dataVersion' | 'role'>;

/** What a statement answers and the scope it was compiled with: both decide the gold columns it reads. */
export interface Asked {
  query: AnalyticsQuery;
  scope: AnalyticsScope;
}

interface StoredResult {
  columns: CompiledColumn[];
  rowsJson: JsonText;
  nextCursor?: string | null;
  /** A drill list's first page, or an answer that asked `total`: the rows of the whole list. */
  total?: number | null;
  rollup?: string | null;
  /** Rows past the limit exist. */
  hasMore?: boolean;
}

/** A published version's rollups, and a key naming them (what a compiled statement was compiled against). */
interface VersionRollups {
  entries: RollupManifestEntry[] | undefined;
  key: string;
}

/** How long a version whose rollup manifest could not be read answers from the facts before it is asked again. */
const MANIFEST_RETRY_MS = 60_000;

/**
 * In Redis: the columns (and cursor) as a JSON line, then the rows' JSON as it will be sent, so a hit
 * reads the rows without parsing them. JSON.stringify never writes a raw newline, so the first one
 * ends the header. An entry written before this layout (one JSON object) is read too.
 */
export const STORED_RESULT: CacheCodec<StoredResult> = {
  encode: ({ rowsJson, ...header }) => `${JSON.stringify(header)}\n${rowsJson.toString()}`,
  decode: (stored) => {
    const end = stored.indexOf(NEWLINE);
    if (end === -1) {
      const { rows, ...header } = JSON.parse(stored.toString('utf8')) as Omit<StoredResult, 'rowsJson'> & { rows: Row[] };
      return { ...header, rowsJson: JSON.stringify(rows) };
    }
    // The rows stay bytes, copied out of the Redis client's read buffer, which may be reused.
    return { ...(JSON.parse(stored.toString('utf8', 0, end)) as Omit<StoredResult, 'rowsJson'>), rowsJson: Buffer.from(stored.subarray(end + 1)) };
  },
};

const NEWLINE = 0x0a;

/** A dashboard tile's query and where its answer is cached, bar the tenant and version. */
interface PlannedTile {
  tile: DashboardTile;
  /** The tile's query (a table's whole list): what the caller is given to drill and export. */
  query: AnalyticsQuery;
  /** What the tile runs and is cached as: the query, or a table's first page with the list's total. */
  run: AnalyticsQuery;
  /** Where each of the query's filters came from (dashboardQueries), so a refusal names the caller's filter. */
  filterOrigins?: (number | null)[];
  scopeHash: string;
  queryHash: string;
  /**
   * Compiled on the first miss, for the as-of and the rollups it was compiled with (a publish brings
   * others; plans are shared by tenants, whose versions may hold different rollups or none).
   */
  compiled?: { asOf: string; rollups: string; query: CompiledQuery };
}

/**
 * Dashboard plans remembered (a dashboard, its filters and a scope): each is a few hashes and
 * validations per request otherwise. Bounded for memory: a plan with its tiles' compiled SQL is
 * some tens of KB, and every manager's scope is a plan of its own.
 */
const MAX_PLANS = 256;

/**
 * Answers analytics queries, dashboards and drill lists of one tenant on its published gold,
 * through the result cache. The scope always comes from the caller (AnalyticsScopeService); this
 * service only ever compiles with it, so no query reaches rows outside it.
 */
@Injectable()
export class AnalyticsService implements OnModuleInit {
  private readonly logger = new Logger('Analytics');
  private readonly plans = new Map<string, PlannedTile[]>();
  /** Each tenant's published rollups, for the version they were read on (a version's tables never change). */
  private readonly rollups = new Map<string, { version: number; read: Promise<VersionRollups>; failedAt?: number }>();
  /** Each tenant's published gold columns, read only after a query on that version failed (one entry per tenant). */
  private readonly goldColumns = new Map<string, { version: number; read: Promise<PublishedGoldColumns> }>();
  /**
   * What each granularity calls the days a time series' ends need (around the as-of, a range's
   * first and last days), per tenant for the version they were read on: a version's dim_date never
   * changes, so each day is read once. Bounded: past MAX_PERIOD_DAYS days a tenant starts afresh.
   */
  private readonly periods = new Map<string, { version: number; days: Map<string, Promise<Row | undefined>> }>();

  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly versions: PublishedVersions,
    private readonly cache: ResultCache,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.model = modelFingerprint(warehouse.dialect);
  }

  /** What this release's model compiles to: in every cache key, so a release never serves an earlier one's answers. */
  private readonly model: string;

  onModuleInit(): void {
    this.versions.onPublished((tenantId, published) => {
      void this.prewarm(tenantId, published);
    });
  }

  get timeoutMs(): number {
    return this.settings.ANALYTICS_QUERY_TIMEOUT_MS;
  }

  /** The version a request starts on; every query of the request stays on it. */
  async publishedFor(tenant: AnalyticsTenant): Promise<PublishedVersion> {
    const published = await this.versions.current(tenant);
    if (!published) throw noDataYet();
    return published;
  }

  async query(tenant: AnalyticsTenant, scope: AnalyticsScope, input: unknown): Promise<Answer> {
    const query = this.validated(input);
    return this.answer(tenant, scope, query, await this.publishedFor(tenant), keyHashes(scope, queryIdentity(query, scope), this.model));
  }

  /**
   * `prefetched`: reads of tile keys sent before the session was confirmed (`prefetchDashboard`);
   * only a read under exactly the key this request computes is used, so reads speculated for
   * another scope, role or version are ignored.
   */
  async dashboard(tenant: AnalyticsTenant, scope: AnalyticsScope, id: string, filters: AnalyticsFilter[], prefetched?: Prefetched): Promise<DashboardAnswer> {
    const definition = this.dashboardFor(tenant, id);
    const planned = this.dashboardPlan(id, filters, scope);
    const published = await this.publishedFor(tenant);
    const tiles = await Promise.all(
      planned.map(async (plan): Promise<DashboardTileAnswer> => {
        try {
          return { tile: plan.tile, query: plan.query, answer: await this.answer(tenant, scope, plan.run, published, plan, prefetched) };
        } catch (error) {
          // One heavy or not-yet-rebuilt figure must not blank the rest: its failure becomes the
          // tile's. A refusal of the request itself (a filter the model rejects) is every tile's, so
          // the request fails as before.
          if (concernsRequest(error)) throw error;
          return { tile: plan.tile, query: plan.query, error };
        }
      }),
    );
    return { definition, tiles, dataVersion: published.version, asOf: published.asOf };
  }

  /**
   * Sends the cache reads of a dashboard's tiles for a tenant context not yet confirmed (the one
   * its session last passed with), on the version this process knows: nothing is answered from
   * them until `dashboard` runs for the confirmed caller. Undefined when there is nothing to
   * guess on (no version known yet, a dashboard or filters that `dashboard` will refuse).
   */
  prefetchDashboard(tenant: AnalyticsTenant, scope: AnalyticsScope, id: string, filters: AnalyticsFilter[]): Prefetched | undefined {
    const published = this.versions.peek(tenant.tenantId);
    if (!this.cache.enabled || !published || published.version < tenant.dataVersion) return undefined;
    try {
      this.dashboardFor(tenant, id);
      const planned = this.dashboardPlan(id, filters, scope);
      return this.cache.prefetch(planned.map((plan) => ({ tenantId: tenant.tenantId, dataVersion: published.version, scopeHash: plan.scopeHash, queryHash: plan.queryHash })));
    } catch {
      // The request itself reports what is wrong with it.
      return undefined;
    }
  }

  /** Each tile's query with the filters applied and its cache key's hashes; the same for every request asking the same. */
  private dashboardPlan(id: string, filters: AnalyticsFilter[], scope: AnalyticsScope): PlannedTile[] {
    const memo = JSON.stringify([id, filters, scope]);
    const known = this.plans.get(memo);
    if (known) return known;
    const planned = this.translated(() => dashboardQueries(id, filters)).map(({ tile, query, run, filterOrigins }) => ({
      tile,
      query,
      run,
      filterOrigins,
      ...keyHashes(scope, queryIdentity(run, scope), this.model),
    }));
    // Oldest first out: a Map iterates in insertion order.
    if (this.plans.size >= MAX_PLANS) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(memo, planned);
    return planned;
  }

  async drill(tenant: AnalyticsTenant, scope: AnalyticsScope, request: DrillRequest): Promise<DrillAnswer> {
    const published = await this.publishedFor(tenant);
    const query = this.validated(request.query);
    const pageSize = request.pageSize ?? DEFAULT_PAGE_SIZE;
    // One row past the page tells whether there is a next page, so a full last page has no cursor.
    const probe = pageSize < MAX_PAGE_SIZE ? pageSize + 1 : pageSize;
    const compiled = this.translated(() => compileDrill({ ...request, query, pageSize: probe }, scope, this.warehouse.dialect, { asOf: published.asOf }));
    const identity = JSON.stringify({ drill: queryIdentity(query, scope), cell: request.cell, measure: request.measure ?? null, after: request.after ?? null, pageSize });
    const key = { tenantId: tenant.tenantId, dataVersion: published.version, ...keyHashes(scope, identity, this.model) };
    const { value, cached } = await this.cache.getOrCompute<StoredResult>(
      key,
      async () => {
        const rows = await this.run(tenant, compiled, published.version, { query, scope });
        const page = rows.slice(0, pageSize);
        const more = probe > pageSize ? rows.length > pageSize : rows.length === pageSize;
        const nextCursor = more && page.length > 0 ? compiled.cursorOf(page[page.length - 1]) : null;
        // The first page carries the list's length, cached with it on the same version, so it cannot
        // disagree with the rows; a list that fits on one page needs no count.
        const total = !compiled.count ? null : more ? countOf(await this.run(tenant, { ...compiled.count, columns: [] }, published.version)) : page.length;
        return { columns: compiled.columns, rowsJson: JSON.stringify(page.map((row) => projected(row, compiled.columns))), nextCursor, total } satisfies StoredResult;
      },
      STORED_RESULT,
    );
    return {
      columns: value.columns,
      rowsJson: value.rowsJson,
      nextCursor: value.nextCursor ?? null,
      hasMore: (value.nextCursor ?? null) !== null,
      total: value.total ?? null,
      dataVersion: published.version,
      asOf: published.asOf,
      cached,
      rollup: null,
    };
  }

  /** The model the caller may query (every cube: scope limits rows, not members) and the dashboards their role opens. */
  meta(tenant: AnalyticsTenant): { model: ModelMeta; dashboards: DashboardDefinition[] } {
    return { model: describeModel(), dashboards: DASHBOARDS.filter((d) => d.roles.includes(tenant.role)) };
  }

  dashboardFor(tenant: AnalyticsTenant, id: string): DashboardDefinition {
    const definition = DASHBOARDS.find((d) => d.id === id);
    if (!definition) {
      throw new DomainError('UNKNOWN_DASHBOARD', `There is no dashboard "${id}"; there are ${DASHBOARDS.map((d) => `"${d.id}"`).join(', ')}.`);
    }
    if (!definition.roles.includes(tenant.role)) {
      throw new DomainError('FORBIDDEN', `The dashboard "${id}" is for the ${definition.roles.join(' or ')} role; you are ${tenant.role}.`);
    }
    return definition;
  }

  validated(input: unknown): AnalyticsQuery {
    return this.translated(() => validateQuery(input));
  }

  /** Runs `fn`, turning the semantic layer's refusals into errors a client may see. */
  translated<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw toAnalyticsError(error, this.timeoutMs);
    }
  }

  private async answer(
    tenant: AnalyticsTenant,
    scope: AnalyticsScope,
    query: AnalyticsQuery,
    published: PublishedVersion,
    plan: Pick<PlannedTile, 'scopeHash' | 'queryHash' | 'compiled' | 'filterOrigins'>,
    prefetched?: Prefetched,
  ): Promise<Answer> {
    // Read beside the answer, not after it; never a reason for the answer to fail.
    const edges = query.timeDimension?.granularity ? this.seriesEdges(tenant, published, query).catch(() => NO_EDGES) : NO_EDGES;
    const { value, cached } = await this.cache.getOrCompute<StoredResult>(
      { tenantId: tenant.tenantId, dataVersion: published.version, scopeHash: plan.scopeHash, queryHash: plan.queryHash },
      async () => {
        // Compiled only on a miss: a hit has the same identity as a query that compiled before. A
        // dashboard tile keeps its compiled form for the next miss on the same as-of (the cache off).
        const rollups = await this.rollupsOf(tenant, published);
        let compiled = plan.compiled?.asOf === published.asOf && plan.compiled.rollups === rollups.key ? plan.compiled.query : undefined;
        if (!compiled) {
          compiled = this.translated(() =>
            inCallersFilters(plan.filterOrigins ?? [], () => compileQuery(query, scope, this.warehouse.dialect, { asOf: published.asOf, rollups: rollups.entries })),
          );
          plan.compiled = { asOf: published.asOf, rollups: rollups.key, query: compiled };
        }
        const asked = { query, scope };
        const read = await this.run(tenant, compiled, published.version, asked);
        // The statement reads one row past the limit: there, it only says that the answer goes on.
        const hasMore = compiled.limit !== undefined && read.length > compiled.limit;
        const rows = hasMore ? read.slice(0, compiled.limit) : read;
        // Cached with the rows, on the same version, so a page and its total cannot disagree; a
        // first page that holds the whole answer is its own count.
        const total = !compiled.count ? null : !hasMore && !query.offset ? rows.length : countOf(await this.run(tenant, { ...compiled.count, columns: [] }, published.version, asked));
        return { columns: compiled.columns, rowsJson: JSON.stringify(rows), rollup: compiled.rollup ?? null, hasMore, total } satisfies StoredResult;
      },
      STORED_RESULT,
      prefetched,
    );
    const { partialPeriod, partialStart } = await edges;
    return {
      columns: value.columns,
      rowsJson: value.rowsJson,
      dataVersion: published.version,
      asOf: published.asOf,
      cached,
      rollup: value.rollup ?? null,
      partialPeriod,
      partialStart,
      hasMore: value.hasMore ?? false,
      total: value.total ?? null,
    };
  }

  /**
   * The periods at the ends of a time series that hold only part of their days: the last one when
   * the data (its as-of) or the asked range ends inside it, the first when the range starts inside it.
   * Which period holds a day comes from the version's own dim_date (a fiscal calendar is the
   * tenant's), each day read once per tenant and version; unreadable, the answer goes without the
   * marks rather than failing. Exports mark their files with them too.
   */
  async seriesEdges(tenant: AnalyticsTenant, published: PublishedVersion, query: AnalyticsQuery): Promise<SeriesEdges> {
    const days = edgeDays(query, published.asOf);
    if (days.length === 0) return NO_EDGES;
    let known = this.periods.get(tenant.tenantId);
    if (!known || known.version !== published.version || known.days.size > MAX_PERIOD_DAYS) {
      // A request still on an older version reads its own days without taking the newer one's place.
      if (known && known.version > published.version) known = { version: published.version, days: new Map() };
      else this.periods.set(tenant.tenantId, (known = { version: published.version, days: new Map() }));
    }
    const record = known;
    const missing = days.filter((day) => !record.days.has(day));
    if (missing.length > 0) {
      const statement = periodsOfDaysStatement(missing);
      const read = this.warehouse
        .queryPublished(namespaceOf(tenant), statement.sql, statement.params, { version: published.version, timeoutMs: this.timeoutMs })
        .then((result) => dayPeriods(result.rows.map(jsonRow)));
      for (const day of missing) {
        const row = read.then((rows) => rows.get(day));
        record.days.set(day, row);
        // Unreadable now: asked again next time, never cached as a failure.
        void row.catch(() => record.days.get(day) === row && record.days.delete(day));
      }
      void read.catch((error: Error) => {
        this.logger.warn(`Tenant ${tenant.tenantId} v${published.version}: the periods of ${missing.join(', ')} are unreadable, so no time series is marked incomplete: ${error.message}`);
      });
    }
    const rows = await Promise.all(days.map(async (day) => [day, await record.days.get(day)!] as const));
    return seriesEdges(query, published.asOf, new Map(rows.filter((entry): entry is readonly [string, Row] => entry[1] !== undefined)));
  }

  /**
   * The rollups the version holds (its gold.rollup_manifest), read once per tenant and version. A
   * version built before rollups has no manifest: its queries read the facts, never an error.
   */
  private async rollupsOf(tenant: AnalyticsTenant, published: PublishedVersion): Promise<VersionRollups> {
    if (!this.settings.ANALYTICS_ROLLUPS) return { entries: undefined, key: 'off' };
    const known = this.rollups.get(tenant.tenantId);
    const retry = known?.failedAt !== undefined && Date.now() - known.failedAt > MANIFEST_RETRY_MS;
    if (known && known.version === published.version && !retry) return known.read;
    const record = this.readManifest(tenant, published.version);
    // A request still on an older version reads its manifest without taking the newer one's place.
    if (!known || known.version <= published.version) this.rollups.set(tenant.tenantId, record);
    return record.read;
  }

  private readManifest(tenant: AnalyticsTenant, version: number): { version: number; read: Promise<VersionRollups>; failedAt?: number } {
    const record: { version: number; read: Promise<VersionRollups>; failedAt?: number } = { version, read: Promise.resolve({ entries: [], key: '' }) };
    record.read = this.warehouse
      .queryPublished(namespaceOf(tenant), ROLLUP_MANIFEST_QUERY, [], { version, timeoutMs: this.timeoutMs })
      .then((result) => {
        const entries = parseRollupManifest(result.rows);
        return { entries, key: entries.map((e) => `${e.rollup}:${e.signature}:${e.asOfKey}`).join(',') };
      })
      .catch((error: Error) => {
        record.failedAt = Date.now();
        this.logger.log(`Tenant ${tenant.tenantId} v${version} has no readable rollup manifest, so its queries read the facts: ${error.message}`);
        return { entries: [], key: '' };
      });
    return record;
  }

  /** `asked`: what the statement answers and in which scope, to tell a version lacking the gold columns it reads from any other failure. */
  private async run(tenant: AnalyticsTenant, compiled: CompiledQuery, version: number, asked?: Asked): Promise<Row[]> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await this.warehouse.queryPublished(namespaceOf(tenant), compiled.sql, compiled.params, { version, timeoutMs: this.timeoutMs });
      this.metrics?.observeWarehouseQuery('ok', seconds());
      return result.rows.map(jsonRow);
    } catch (error) {
      const translated = toAnalyticsError(error, this.timeoutMs);
      this.metrics?.observeWarehouseQuery(translated instanceof DomainError && translated.code === 'QUERY_TIMEOUT' ? 'timeout' : 'error', seconds());
      throw await this.failureOf(tenant, version, error, asked);
    }
  }

  /**
   * What a statement's failure is to the caller: the warehouse's time limit (`timeoutMs`, the one it
   * ran under) or a version gone as their client errors, a statement reading gold columns the
   * version lacks as NEEDS_NEXT_BUILD, anything else as it is (an internal error). `asked`: what
   * the statement answers and the scope it was compiled with (a manager's or viewer's scope reads
   * gold columns of its own); without it a missing column is not looked for.
   */
  async failureOf(tenant: AnalyticsTenant, version: number, error: unknown, asked?: Asked, timeoutMs = this.timeoutMs): Promise<unknown> {
    const translated = toAnalyticsError(error, timeoutMs);
    // Untranslated: a warehouse failure other than a timeout or a version gone (a binder error among them).
    if (asked && translated === error) {
      const missing = await this.missingGoldColumns(tenant, version, asked);
      if (missing.length > 0) return needsNextBuild(missing);
    }
    return translated;
  }

  /**
   * The gold columns `query` reads that the tenant's version lacks (an earlier release built it, and
   * its rebuild is queued). Asked only after a statement failed, so answering costs nothing; a
   * version's columns never change, so they are read once per tenant and version. Unreadable: none
   * (the statement's own error stands).
   */
  private async missingGoldColumns(tenant: AnalyticsTenant, version: number, { query, scope }: Asked): Promise<string[]> {
    let known = this.goldColumns.get(tenant.tenantId);
    if (!known || known.version !== version) {
      known = { version, read: publishedGoldColumns(this.warehouse, namespaceOf(tenant), version) };
      this.goldColumns.set(tenant.tenantId, known);
      known.read.catch(() => {
        if (this.goldColumns.get(tenant.tenantId) === known) this.goldColumns.delete(tenant.tenantId);
      });
    }
    try {
      return missingGoldColumns(goldColumnsOfQuery(query, scope), await known.read);
    } catch {
      return [];
    }
  }

  /**
   * After a publish, answers the tenant-wide dashboards (as an org admin sees them, default filters)
   * into the cache, so the first person to open them after a load does not wait for the warehouse.
   */
  async prewarm(tenantId: string, published: PublishedVersion): Promise<number> {
    const row = await this.prisma.tenant.findUnique({ where: { id: tenantId }, select: { namespace: true, status: true } }).catch(() => null);
    if (!row || row.status !== 'active' || !this.cache.enabled) return 0;
    const tenant: AnalyticsTenant = { tenantId, namespace: row.namespace, dataVersion: published.version, role: 'org_admin' };
    let warmed = 0;
    for (const definition of DASHBOARDS.filter((d) => d.roles.includes('org_admin'))) {
      for (const plan of this.dashboardPlan(definition.id, [], { kind: 'tenant' })) {
        try {
          await this.answer(tenant, { kind: 'tenant' }, plan.run, published, plan);
          warmed += 1;
        } catch (error) {
          this.logger.warn(`Pre-warming dashboard ${definition.id} of tenant ${tenantId} (v${published.version}) failed: ${(error as Error).message}`);
        }
      }
    }
    this.logger.log(`Pre-warmed ${warmed} dashboard queries of tenant ${tenantId} for v${published.version}`);
    return warmed;
  }
}

/**
 * Errors that say the request as asked cannot be answered (the model refusing its query or filters,
 * the caller's scope, nothing published): raised the same for every tile, so they fail the request.
 */
const REQUEST_CODES: ReadonlySet<string> = new Set(['INVALID_QUERY', 'INVALID_CURSOR', 'INVALID_SCOPE', 'UNKNOWN_DASHBOARD', 'FORBIDDEN', 'MANAGER_NOT_LINKED', 'NO_DATA']);

function concernsRequest(error: unknown): boolean {
  return isDomainError(error) && REQUEST_CODES.has(error.code);
}

export function namespaceOf(tenant: Pick<TenantContext, 'tenantId' | 'namespace'>): TenantNamespace {
  return { tenantId: tenant.tenantId, namespace: tenant.namespace };
}

/** Where an answer is cached: its tenant, the data version, the caller's scope, the query's identity and the model it was compiled with. */
export function answerKeyParts(tenantId: string, dataVersion: number, scope: AnalyticsScope, identity: string, dialect: Dialect): CacheKeyParts {
  return { tenantId, dataVersion, ...keyHashes(scope, identity, modelFingerprint(dialect)) };
}

function keyHashes(scope: AnalyticsScope, identity: string, model: string): Pick<CacheKeyParts, 'scopeHash' | 'queryHash'> {
  return { scopeHash: hashOf(JSON.stringify(scope)), queryHash: hashOf(`${model}:${identity}`) };
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

/** The one figure of a count statement (a drill list's, or an answer's total). */
function countOf(rows: Row[]): number {
  const n = Number(rows[0]?.rows);
  if (!Number.isSafeInteger(n)) throw new Error(`A count came back as ${JSON.stringify(rows[0]?.rows)}, not a whole number.`);
  return n;
}

/** Only the row's columns: a drill row also carries its keyset key, which only the cursor needs. */
export function projected(row: Row, columns: CompiledColumn[]): Row {
  return Object.fromEntries(columns.map((c) => [c.key, row[c.key] ?? null]));
}

/** Cached and sent as JSON: a bigint (a count past 2^53) becomes its decimal text. */
export function jsonRow(row: Row): Row {
  let copy: Row | undefined;
  for (const [key, value] of Object.entries(row)) {
    if (typeof value !== 'bigint') continue;
    copy ??= { ...row };
    copy[key] = Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  return copy ?? row;
}
