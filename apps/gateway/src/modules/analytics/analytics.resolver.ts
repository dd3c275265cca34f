import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import type { AnalyticsFilter, DrillRequest } from '@kineo/analytics';
import type { TenantContext } from '@kineo/auth';
import { CurrentTenant, Roles } from '../../engine/auth/auth.decorators';
import { JsonFragments, type JsonFragment } from '../../engine/graphql/json-fragments.util';
import { GraphQLJSON } from '../../engine/graphql/json.scalar';
import type { Prefetched } from '../../engine/cache/result-cache.service';
import { PrefetchedReads } from './analytics-prefetch.util';
import { AnalyticsScopeService, type ManagerReach } from './analytics-scope.service';
import { AnalyticsService, type Answer } from './analytics.service';
import {
  AnalyticsFilterInput,
  AnalyticsMeta,
  AnalyticsQueryInput,
  AnalyticsResult,
  DashboardResult,
  DrillPage,
  ReachEnum,
} from './analytics.types';
import { withoutNulls } from './analytics-input.util';
import { AnalyticsRateLimit } from './analytics-rate-limit.guard';

const reachArg = { name: 'reach', type: () => ReachEnum, defaultValue: 'all', description: "A manager's reports at every level (all) or direct reports only." } as const;

/** Every analytics operation: the caller's scope comes from their session, never from arguments. */
@Resolver()
export class AnalyticsResolver {
  constructor(
    private readonly answers: AnalyticsService,
    private readonly scopes: AnalyticsScopeService,
  ) {}

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
      dataVersion: answer.dataVersion,
      asOf: new Date(answer.asOf),
      tiles: answer.tiles.map(({ tile, query, answer: tileAnswer }) => ({
        id: tile.id,
        title: tile.title,
        chart: tile.chart,
        drill: tile.drill ?? false,
        query,
        result: resultOf(tileAnswer, fragment),
      })),
    };
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
    return { ...resultOf(page, fragment), nextCursor: page.nextCursor, total: page.total };
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
  };
}
