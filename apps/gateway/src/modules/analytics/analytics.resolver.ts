import { Args, Context, Int, Query, Resolver } from '@nestjs/graphql';
import type { AnalyticsFilter, DrillRequest } from '@kineo/analytics';
import type { TenantContext } from '@kineo/auth';
import type { FastifyReply } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { CurrentTenant, Roles } from '../../engine/auth/auth.decorators';
import { JsonFragments, type JsonFragment } from '../../engine/graphql/json-fragments.util';
import { GraphQLJSON } from '../../engine/graphql/json.scalar';
import type { Prefetched } from '../../engine/cache/result-cache.service';
import { clientErrorOf } from '../../engine/errors/client-errors.util';
import { PrefetchedReads } from './analytics-prefetch.util';
import { AnalyticsScopeService, type ManagerReach } from './analytics-scope.service';
import { AnalyticsService, type Answer, type DashboardTileAnswer } from './analytics.service';
import {
  AnalyticsFilterInput,
  AnalyticsMeta,
  AnalyticsQueryInput,
  AnalyticsResult,
  DashboardResult,
  DrillPage,
  OrganisationType,
  ReachEnum,
  type TileError,
} from './analytics.types';
import { withoutNulls } from './analytics-input.util';
import { AnalyticsRateLimit } from './analytics-rate-limit.guard';
import { OrganisationTreeService } from './organisation-tree.service';

const reachArg = { name: 'reach', type: () => ReachEnum, defaultValue: 'all', description: "A manager's reports at every level (all) or direct reports only." } as const;

/** Every analytics operation: the caller's scope comes from their session, never from arguments. */
@Resolver()
export class AnalyticsResolver {
  constructor(
    private readonly answers: AnalyticsService,
    private readonly scopes: AnalyticsScopeService,
    private readonly hierarchy: OrganisationTreeService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('GraphQL');
  }

  @Query(() => AnalyticsResult, { description: 'Measures grouped by dimensions, over the learners the caller may see.' })
  @Roles('org_admin', 'manager', 'viewer')
  @AnalyticsRateLimit()
  async analytics(
    @CurrentTenant() tenant: TenantContext,
    @Args('query', { type: () => AnalyticsQueryInput }) query: AnalyticsQueryInput,
    @Args(reachArg) reach: ManagerReach,
    @JsonFragments() fragment: JsonFragment,
  ): Promise<AnalyticsResult> {
    const scope = await this.scopes.scopeOf(tenant, reach);
    return resultOf(await this.answers.query(tenant, scope, withoutNulls(query)), fragment);
  }

  @Query(() => [OrganisationType], {
    description:
      "The organisations the caller's learners sit in, and every organisation above them, in hierarchy order (a parent before its children): what a dashboard's 'Organisation and below' filter and a viewer's grants choose from. An organisation with learners only below it is listed. Those above the caller's reach are listed as context only (`selectable` false).",
  })
  @Roles('org_admin', 'manager', 'viewer')
  @AnalyticsRateLimit()
  async organisations(@CurrentTenant() tenant: TenantContext, @Args(reachArg) reach: ManagerReach): Promise<OrganisationType[]> {
    return this.hierarchy.treeOf(tenant, await this.scopes.scopeOf(tenant, reach));
  }

  @Query(() => DashboardResult, { description: "A dashboard's tiles, each answered over the learners the caller may see." })
  @Roles('org_admin', 'manager', 'viewer')
  @AnalyticsRateLimit()
  async dashboard(
    @CurrentTenant() tenant: TenantContext,
    @Args('id', { description: "e.g. 'course-completion'; `meta.dashboards` lists the caller's." }) id: string,
    @Args('filters', { type: () => [AnalyticsFilterInput], nullable: true, description: 'Applied to every tile whose cube has the member.' })
    filters: AnalyticsFilterInput[] | null,
    @Args(reachArg) reach: ManagerReach,
    @JsonFragments() fragment: JsonFragment,
    @PrefetchedReads() prefetched: Prefetched | undefined,
    @Context() context: { reply: FastifyReply },
  ): Promise<DashboardResult> {
    this.answers.dashboardFor(tenant, id);
    const scope = await this.scopes.scopeOf(tenant, reach);
    const answer = await this.answers.dashboard(tenant, scope, id, withoutNulls(filters ?? []) as AnalyticsFilter[], prefetched);
    const { definition } = answer;
    return {
      id: definition.id,
      title: definition.title,
      description: definition.description,
      filters: definition.filters,
      emptyState: definition.emptyState,
      periods: definition.periods,
      dataVersion: answer.dataVersion,
      asOf: new Date(answer.asOf),
      tiles: answer.tiles.map((tileAnswer) => ({
        id: tileAnswer.tile.id,
        title: tileAnswer.tile.title,
        chart: tileAnswer.tile.chart,
        drill: tileAnswer.tile.drill ?? false,
        query: tileAnswer.query,
        pageSize: tileAnswer.tile.pageSize ?? null,
        result: tileAnswer.answer ? resultOf(tileAnswer.answer, fragment) : null,
        error: tileAnswer.answer ? null : this.tileError(tileAnswer, String(context.reply.request.id)),
      })),
    };
  }

  /** A failed tile's error as a client may see it; one whose message is withheld is logged as a failed field is. */
  private tileError({ tile, error }: DashboardTileAnswer, requestId: string): TileError {
    const client = clientErrorOf(error, requestId);
    if (client.hidden) {
      this.logger.error({ err: error, path: `dashboard.tiles.${tile.id}` }, `Dashboard tile ${tile.id} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const retryAfter = client.extensions.retryAfterSeconds;
    return { code: client.code, message: client.message, retryAfterSeconds: typeof retryAfter === 'number' ? retryAfter : null };
  }

  @Query(() => DrillPage, { description: 'The learner rows behind one cell of an answer, a page at a time.' })
  @Roles('org_admin', 'manager', 'viewer')
  @AnalyticsRateLimit()
  async drill(
    @CurrentTenant() tenant: TenantContext,
    @Args('query', { type: () => AnalyticsQueryInput, description: 'The query whose answer the cell is in.' }) query: AnalyticsQueryInput,
    @Args('cell', { type: () => GraphQLJSON, description: "The cell's row: dimension column key -> value." }) cell: DrillRequest['cell'],
    @Args('measure', { type: () => String, nullable: true, description: 'Only the rows making up this measure (e.g. the overdue ones).' })
    measure: string | null,
    @Args('after', { type: () => String, nullable: true, description: 'The previous page\'s nextCursor.' }) after: string | null,
    @Args('pageSize', { type: () => Int, nullable: true, description: '100 unless set, 5000 at most.' }) pageSize: number | null,
    @Args(reachArg) reach: ManagerReach,
    @JsonFragments() fragment: JsonFragment,
  ): Promise<DrillPage> {
    const scope = await this.scopes.scopeOf(tenant, reach);
    // The cell keeps its nulls: a cell of rows whose dimension is empty is a cell like any other.
    const request = { ...withoutNulls({ query, measure, after, pageSize }), cell } as unknown as DrillRequest;
    const page = await this.answers.drill(tenant, scope, request);
    return { ...resultOf(page, fragment), nextCursor: page.nextCursor };
  }

  @Query(() => AnalyticsMeta, { description: 'The cubes, measures and dimensions the caller may query, and the dashboards of their role.' })
  @Roles('org_admin', 'manager', 'viewer')
  meta(@CurrentTenant() tenant: TenantContext): AnalyticsMeta {
    const { model, dashboards } = this.answers.meta(tenant);
    return {
      cubes: model.cubes.map((cube) => ({
        name: cube.name,
        title: cube.title,
        description: cube.description,
        measures: cube.measures,
        dimensions: cube.dimensions,
        joins: cube.joins,
        rollups: cube.rollups,
      })),
      granularities: model.granularities,
      filterOperators: model.filterOperators,
      dashboards: dashboards.map((d) => ({ id: d.id, title: d.title, description: d.description, tiles: d.tiles.map((t) => t.title) })),
    };
  }
}

/** The rows go into the reply as the JSON text they are stored as (see json-fragments.util.ts). */
function resultOf(answer: Answer, fragment: JsonFragment): AnalyticsResult {
  return {
    columns: answer.columns,
    rows: fragment(answer.rowsJson),
    dataVersion: answer.dataVersion,
    asOf: new Date(answer.asOf),
    cached: answer.cached,
    rollup: answer.rollup,
    partialPeriod: answer.partialPeriod ?? null,
    partialStart: answer.partialStart ?? null,
    hasMore: answer.hasMore,
    total: answer.total,
  };
}
