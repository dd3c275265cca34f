import type { AnalyticsFilterInput, AnalyticsQueryInput, DashboardQuery, Reach } from '@/generated/browser/graphql';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;
export type Column = DashboardQuery['dashboard']['tiles'][number]['result']['columns'][number];
export type Tile = DashboardQuery['dashboard']['tiles'][number];
export type Dashboard = DashboardQuery['dashboard'];
export type { AnalyticsFilterInput, AnalyticsQueryInput, Reach };

/** The gateway sends rows as JSON (typed by `columns`); anything else is a broken answer, shown as none. */
export function rowsOf(rows: unknown): Row[] {
  return Array.isArray(rows) ? (rows as Row[]) : [];
}

/** A tile's query as the gateway ran it: the input of drill and of an export. */
export function queryOf(tile: Tile): AnalyticsQueryInput {
  return tile.query as AnalyticsQueryInput;
}

/** The clicked row's dimension values: what the drill list narrows to. */
export function cellOf(tile: Tile, row: Row): Row {
  const measures = new Set(queryOf(tile).measures);
  return Object.fromEntries(tile.result.columns.filter((c) => !measures.has(c.member)).map((c) => [c.key, row[c.key] ?? null]));
}

export function measureColumns(tile: Tile): Column[] {
  const measures = new Set(queryOf(tile).measures);
  return tile.result.columns.filter((c) => measures.has(c.member));
}

export function dimensionColumns(tile: Tile): Column[] {
  const measures = new Set(queryOf(tile).measures);
  return tile.result.columns.filter((c) => !measures.has(c.member));
}
