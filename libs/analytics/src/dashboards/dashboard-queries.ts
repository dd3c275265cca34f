import { AnalyticsQueryError } from '../analytics-query.error';
import type { AnalyticsQuery, DashboardTile } from '../analytics.types';
import { planQuery } from '../compiler/resolve';
import { CUBES } from '../model';
import { DASHBOARDS } from './dashboards';

const cubeOf = (member: string) => member.slice(0, member.indexOf('.'));

export interface DashboardTileQuery {
  tile: DashboardTile;
  /** The tile's query with the filters applied: what its drill lists and exports start from. */
  query: AnalyticsQuery;
  /** What the dashboard runs: the query, or for a table tile its first page with the whole list's total. */
  run: AnalyticsQuery;
}

/**
 * Each tile's query with the dashboard's filters applied: a filter goes to every tile whose cube
 * can be cut by it (learner filters to all; a course filter only to course tiles). A default filter
 * (active learners) stands unless the caller filters the same member.
 */
export function dashboardQueries(id: string, filters: AnalyticsQuery['filters']): DashboardTileQuery[] {
  const dashboard = DASHBOARDS.find((d) => d.id === id);
  if (!dashboard) {
    throw new AnalyticsQueryError('UNKNOWN_DASHBOARD', `Unknown dashboard '${id}': the dashboards are ${DASHBOARDS.map((d) => d.id).join(', ')}.`);
  }
  const given = filters ?? [];
  if (!Array.isArray(given)) throw new AnalyticsQueryError('INVALID_QUERY', 'filters: expected a list of filters.');
  given.forEach((f, i) => {
    if (!dashboard.filters.includes(f?.member)) {
      throw new AnalyticsQueryError(
        'INVALID_QUERY',
        `filters[${i}]: the ${dashboard.title} dashboard cannot be filtered by ${JSON.stringify(f?.member)}; it can be filtered by ${dashboard.filters.join(', ')}.`,
      );
    }
  });
  const effective = [...dashboard.defaultFilters.filter((d) => !given.some((f) => f.member === d.member)), ...given];

  return dashboard.tiles.map((tile) => {
    const cube = CUBES.get(cubeOf(tile.query.measures[0]))!;
    const reachable = new Set([cube.name, ...cube.joins]);
    const applicable = effective.filter((f) => reachable.has(cubeOf(f.member)));
    const query: AnalyticsQuery = { ...tile.query, filters: [...(tile.query.filters ?? []), ...applicable] };
    planQuery(query);
    return { tile, query, run: tile.pageSize ? { ...query, limit: tile.pageSize, total: true } : query };
  });
}
