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
  /** For each of the query's filters, the caller's filter it is (its place in the dashboard's `filters`), or null: the tile's own or a default. */
  filterOrigins: (number | null)[];
}

/**
 * Runs `fn` (planning or compiling a tile's query), so that a refusal names a filter by its place in
 * what the caller sent (`filters[1]`), not in the tile's query, where the tile's own filters and the
 * dashboard's defaults come first.
 */
export function inCallersFilters<T>(origins: readonly (number | null)[], fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof AnalyticsQueryError)) throw error;
    const renumbered = error.message.replace(/\bfilters(?:\[(\d+)\]|\.(\d+))/g, (whole: string, bracket?: string, dotted?: string) => {
      const origin = origins[Number(bracket ?? dotted)];
      return origin === null || origin === undefined ? whole : bracket !== undefined ? `filters[${origin}]` : `filters.${origin}`;
    });
    if (renumbered === error.message) throw error;
    throw new AnalyticsQueryError(error.code, renumbered, error.details);
  }
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
  const effective = [
    ...dashboard.defaultFilters.filter((d) => !given.some((f) => f.member === d.member)).map((filter) => ({ filter, origin: null })),
    ...given.map((filter, i) => ({ filter, origin: i })),
  ];

  return dashboard.tiles.map((tile) => {
    const cube = CUBES.get(cubeOf(tile.query.measures[0]))!;
    const reachable = new Set([cube.name, ...cube.joins]);
    const applicable = effective.filter(({ filter }) => reachable.has(cubeOf(filter.member)));
    const own = tile.query.filters ?? [];
    const query: AnalyticsQuery = { ...tile.query, filters: [...own, ...applicable.map(({ filter }) => filter)] };
    const filterOrigins = [...own.map(() => null), ...applicable.map(({ origin }) => origin)];
    inCallersFilters(filterOrigins, () => planQuery(query));
    return { tile, query, run: tile.pageSize ? { ...query, limit: tile.pageSize, total: true } : query, filterOrigins };
  });
}
