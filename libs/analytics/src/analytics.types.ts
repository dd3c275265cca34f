import type { SqlParam } from '@kineo/warehouse';
import type { RollupManifestEntry } from './rollups/rollups';

/** Whose learners a caller sees. Applied by the compiler to every query, never by a resolver. */
export type AnalyticsScope =
  /** An org admin: the whole tenant. */
  | { kind: 'tenant' }
  /**
   * A manager (their LMS user id, dim_user.user_id): the learners under them in
   * gold.dim_manager_relationship, every level ('all') or direct reports only ('direct'); never themself.
   */
  | { kind: 'manager'; managerUserId: number; reach: 'all' | 'direct' }
  /** A viewer: the whole subtrees of the LMS organisations an org admin granted; none granted sees nothing. */
  | { kind: 'viewer'; organisationIds: number[] };

export const FILTER_OPERATORS = [
  'equals',
  'notEquals',
  'in',
  'notIn',
  'contains',
  'gt',
  'gte',
  'lt',
  'lte',
  'set',
  'notSet',
  'beforeDate',
  'afterDate',
  'inDateRange',
] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export const GRANULARITIES = ['day', 'week', 'month', 'quarter', 'year', 'fiscalYear', 'fiscalQuarter'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** Each granularity as a column title and a menu say it ('Enrolled (fiscal year)'). */
export const GRANULARITY_TITLES: Record<Granularity, string> = {
  day: 'day',
  week: 'week',
  month: 'month',
  quarter: 'quarter',
  year: 'year',
  fiscalYear: 'fiscal year',
  fiscalQuarter: 'fiscal quarter',
};

export type FilterValue = string | number | boolean;

export interface AnalyticsFilter {
  member: string;
  operator: FilterOperator;
  values?: FilterValue[];
}

export interface AnalyticsTimeDimension {
  /** A time dimension, e.g. 'CourseProgress.completedDate'. */
  dimension: string;
  /** Groups by this grain (a result column keyed '<dimension>.<granularity>'); unset: only filters. */
  granularity?: Granularity;
  /** Inclusive ISO dates 'YYYY-MM-DD'. */
  dateRange?: [string, string];
  /** Only this fiscal year (named by the calendar year in which it ends). */
  fiscalYear?: number;
}

export interface AnalyticsOrder {
  member: string;
  direction: 'asc' | 'desc';
}

export interface AnalyticsQuery {
  /** 'CourseProgress.completionRate'; every measure of one query comes from the same cube (or Learner). */
  measures: string[];
  /** 'Learner.organisationName', 'CourseProgress.status'. */
  dimensions?: string[];
  filters?: AnalyticsFilter[];
  timeDimension?: AnalyticsTimeDimension;
  order?: AnalyticsOrder[];
  /** Default 1000, at most 50000 (exports stream without the default through CompileOptions.noLimit, but keep one set here). */
  limit?: number;
  /** Rows skipped before the first returned, in the query's order (a page past the first); exports ignore it. */
  offset?: number;
  /** Also count the rows of the whole answer, as if it had neither limit nor offset (CompiledQuery.count). */
  total?: boolean;
}

/**
 * What a code means to a person reading a chart: 'good' (done, compliant), 'warning' (due, in a
 * window), 'bad' (overdue, expired, red), 'active' (under way) or 'neutral' (not started, unknown).
 * A chart draws a value in its tone's colour, so "red" is red and "complete" is the same colour on
 * every dashboard.
 */
export type ValueTone = 'good' | 'warning' | 'bad' | 'active' | 'neutral';

/** One code a dimension takes, as the LMS export writes it, and how it reads. */
export interface DimensionValue {
  value: string;
  label: string;
  tone?: ValueTone;
}

export type ColumnType = 'string' | 'number' | 'boolean' | 'date';
export type ColumnFormat = 'percent' | 'integer' | 'decimal' | 'hours' | 'days';

export interface CompiledColumn {
  /** The row key the SQL returns: the member, plus '.<granularity>' for the time dimension. */
  key: string;
  member: string;
  title: string;
  type: ColumnType;
  format?: ColumnFormat;
  /** A coded dimension's values, labels and tones (DimensionDef.values). */
  values?: readonly DimensionValue[];
}

export interface CompiledQuery {
  sql: string;
  /** Positional (`?`) parameters, in order. No value from the query is ever inlined in `sql`. */
  params: SqlParam[];
  columns: CompiledColumn[];
  /** The rollup ('Cube.rollupName') whose table answers, when one does; unset: the facts. */
  rollup?: string;
  /**
   * The rows asked for: the statement reads one more, so a result longer than this says that rows
   * past the limit exist. Unset: the statement has no limit (an export) and every row is the answer.
   */
  limit?: number;
  /** The query asked `total`: one row, `rows`, counting the whole answer (no limit, no offset). */
  count?: { sql: string; params: SqlParam[] };
}

/** What a caller gets back: the rows, and which published data they were computed on. */
export interface AnalyticsResult {
  /** The published gold version the rows come from. */
  dataVersion: number;
  /** That build's as_of (ISO): "overdue" and "expiring" are as at it. */
  asOf: string;
  /** queryIdentity(query, scope). */
  queryId: string;
  columns: CompiledColumn[];
  rows: Record<string, unknown>[];
}

export interface CompileOptions {
  /** ISO date (or date-time) of the build the data was computed at: "overdue", "expiring in N days" are as at it. */
  asOf: string;
  /** How to name a gold table; default 'gold.<table>'. */
  gold?: (table: string) => string;
  /** Exports: no default row limit (a limit the query sets still holds, so the file has the rows shown). */
  noLimit?: boolean;
  /**
   * The rollups the published version holds (its gold.rollup_manifest): a query one of them answers
   * exactly reads it instead of the facts. Unset: always the facts.
   */
  rollups?: readonly RollupManifestEntry[];
}

export interface DrillRequest {
  query: AnalyticsQuery;
  /** The clicked cell: result column key (dimension member, or '<timeDimension>.<granularity>') -> its value. */
  cell: Record<string, string | number | boolean | null>;
  /**
   * Only the rows that make up this measure (e.g. 'Certification.expiringIn30Days' lists only the
   * expiring ones); unset: every row the cell's measures were computed over.
   */
  measure?: string;
  /** The opaque keyset cursor of the last row of the previous page. */
  after?: string;
  /** Default 100, at most 5000. */
  pageSize?: number;
}

export type CompiledDrill = CompiledQuery & {
  /** The cursor to pass as `after` to get the rows following `row`. */
  cursorOf(row: Record<string, unknown>): string;
  pageSize: number;
  /** The number of rows of the whole list (column `rows`); only for its first page (no `after`). */
  count?: { sql: string; params: SqlParam[] };
};

export type ChartKind = 'kpi' | 'bar' | 'line' | 'pie' | 'table';
export type AnalyticsRole = 'org_admin' | 'manager' | 'viewer';

export interface DashboardTile {
  id: string;
  title: string;
  chart: ChartKind;
  query: AnalyticsQuery;
  /** The tile's cells open a learner drill list. */
  drill?: boolean;
  /**
   * A table tile's page: `query` is the whole list (an export holds every row), and the dashboard
   * answers its first `pageSize` rows with the list's total (dashboardQueries' `run`).
   */
  pageSize?: number;
}

export interface DashboardDefinition {
  id: string;
  title: string;
  description: string;
  tiles: DashboardTile[];
  /** The dimensions the dashboard can be filtered by; a filter applies to each tile whose cube has the member. */
  filters: string[];
  /** Filters applied unless the caller filters the same member (dashboards show active learners by default). */
  defaultFilters: AnalyticsFilter[];
  roles: AnalyticsRole[];
  /** What to show when the tenant has loaded nothing these tiles read. */
  emptyState: string;
  /** The date ranges it can be cut by ('Completed' between two days); their members are among `filters`. */
  periods: DashboardPeriod[];
}

/**
 * A date range a dashboard can be cut by: one control on a screen, sent as an `inDateRange` filter
 * (or `afterDate`/`beforeDate` for an open end) on each of its members, each of which goes to the
 * tiles of its own cube ('Activity on': the day of learning time, a SCORM attempt's last access, a
 * seminar sign-up's status).
 */
export interface DashboardPeriod {
  /** What the control is called: 'Completed'. */
  title: string;
  /** What it keeps, in a sentence. */
  description: string;
  /** Time dimensions, at most one per cube. */
  members: string[];
}

export interface MemberMeta {
  /** 'Cube.member'. */
  name: string;
  title: string;
  description: string;
  type: ColumnType | 'time';
  format?: ColumnFormat;
  /** A coded dimension's values, labels and tones. */
  values?: readonly DimensionValue[];
}

export interface CubeMeta {
  name: string;
  title: string;
  description: string;
  /** The gold table the cube's rows come from. */
  table: string;
  measures: MemberMeta[];
  dimensions: (MemberMeta & { granularities?: Granularity[] })[];
  /** Cubes whose dimensions a query over this cube may also use. */
  joins: string[];
  /** Its rollups: 'Cube.rollup', with the members each keeps. */
  rollups: { name: string; measures: string[]; dimensions: string[]; timeDimension?: string; granularity?: 'day' | 'month' }[];
}

export interface ModelMeta {
  cubes: CubeMeta[];
  granularities: Granularity[];
  filterOperators: FilterOperator[];
}
