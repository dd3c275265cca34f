import type { AnalyticsQueryInput, ChartKind } from '@/generated/browser/graphql';

/** What Explore shows lives in its URL (`?q=<query JSON>&chart=bar`), so a link or a reload reproduces it. */
export interface ExploreState {
  query: AnalyticsQueryInput;
  chart: ExploreChart;
}

export type ExploreChart = Extract<ChartKind, 'bar' | 'line' | 'pie' | 'table'>;
export const EXPLORE_CHARTS: { kind: ExploreChart; label: string }[] = [
  { kind: 'bar', label: 'Bar chart' },
  { kind: 'line', label: 'Line chart' },
  { kind: 'pie', label: 'Pie chart' },
  { kind: 'table', label: 'Table' },
];

/** The rows the gateway answers when a query sets no limit: what "Rows at most" shows until the person sets one. */
export const DEFAULT_LIMIT = 1000;
/** The gateway's most rows in one answer (an export has no such limit unless its query sets one). */
export const MAX_LIMIT = 50000;

export function stateFromParams(params: URLSearchParams): ExploreState {
  const chart = EXPLORE_CHARTS.find((c) => c.kind === params.get('chart'))?.kind ?? 'bar';
  let query: AnalyticsQueryInput = { measures: [] };
  try {
    const parsed = JSON.parse(params.get('q') ?? 'null') as unknown;
    if (parsed && typeof parsed === 'object' && Array.isArray((parsed as AnalyticsQueryInput).measures)) query = parsed as AnalyticsQueryInput;
  } catch {
    // A hand-edited link that is not JSON opens an empty Explore rather than failing.
  }
  return { query, chart };
}

export function exploreHref(state: ExploreState): string {
  const params = new URLSearchParams();
  if (state.query.measures.length > 0) params.set('q', JSON.stringify(state.query));
  params.set('chart', state.chart);
  return `/explore?${params.toString()}`;
}

/** The cube a member belongs to ('CourseProgress.count' -> 'CourseProgress'). */
export function cubeOf(member: string): string {
  return member.slice(0, member.indexOf('.'));
}
