import type { AnalyticsFilterInput, AnalyticsQueryInput, DashboardQuery, Reach } from '@/generated/browser/graphql';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;
/** A dashboard tile as the gateway sends it: its answer, or the error that took its place. */
export type DashboardTile = DashboardQuery['dashboard']['tiles'][number];
export type TileError = NonNullable<DashboardTile['error']>;
/** A tile that answered: what the charts, tables and drill lists draw. */
export type Tile = Omit<DashboardTile, 'result' | 'error'> & { result: NonNullable<DashboardTile['result']> };
export type Column = Tile['result']['columns'][number];
export type Dashboard = DashboardQuery['dashboard'];
export type { AnalyticsFilterInput, AnalyticsQueryInput, Reach };

export function isAnswered(tile: DashboardTile): tile is DashboardTile & Tile {
  return tile.result !== null && tile.result !== undefined;
}

/** The gateway sends rows as JSON (typed by `columns`); anything else is a broken answer, shown as none. */
export function rowsOf(rows: unknown): Row[] {
  return Array.isArray(rows) ? (rows as Row[]) : [];
}

/** A tile's query as the gateway ran it: the input of drill and of an export. */
export function queryOf(tile: Pick<DashboardTile, 'query'>): AnalyticsQueryInput {
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
