import { DASHBOARDS, describeModel, GRANULARITY_TITLES, type AnalyticsFilter, type AnalyticsQuery, type AnalyticsScope, type Granularity, type MemberMeta, type PartialPeriod, type PartialStart } from '@kineo/analytics';

/** The response header naming an export's incomplete period (absent when it has none). */
export const PARTIAL_PERIOD_HEADER = 'x-kineo-partial-period';
/** The first period's counterpart: `column=…;value=…;from=<YYYY-MM-DD>`. */
export const PARTIAL_START_HEADER = 'x-kineo-partial-start';

/**
 * `column=<result column>;value=<its value>;through=<YYYY-MM-DD>`, each part percent-encoded
 * (encodeURIComponent), so a value such as 'FY2025 Q3' cannot break the list and the header stays ASCII.
 */
export function partialPeriodHeader(period: PartialPeriod): string {
  return (['column', 'value', 'through'] as const).map((part) => `${part}=${encodeURIComponent(String(period[part]))}`).join(';');
}

export function partialStartHeader(start: PartialStart): string {
  return (['column', 'value', 'from'] as const).map((part) => `${part}=${encodeURIComponent(String(start[part]))}`).join(';');
}

/**
 * The sentence the portal's charts put under an incomplete period, e.g. "Jun 2026: month to date,
 * to 29 Jun, so its figures are not a whole month's.", in the tenant's locale, with the rows it
 * means as the file writes them (the data sheet shows '2026-06-01', not 'Jun 2026').
 */
export function partialPeriodSentence(period: PartialPeriod, granularity: Granularity, columnTitle: string, locale: string): string {
  // 'fiscalQuarter' is a 'fiscal quarter', as the portal names it.
  const name = GRANULARITY_TITLES[granularity];
  const through = shortDay(period.through, locale);
  const cut = period.reason === 'range' ? `to ${through} only, where the chosen period ends` : `${name} to date, to ${through}`;
  return `${periodLabel(period.value, granularity, locale)}: ${cut}, so its figures are not a whole ${name}'s (the rows whose "${columnTitle}" is ${String(period.value)}).`;
}

/** The first period's sentence, e.g. "Dec 2024: from 8 Dec only, where the chosen period starts, so …". */
export function partialStartSentence(start: PartialStart, granularity: Granularity, columnTitle: string, locale: string): string {
  const name = GRANULARITY_TITLES[granularity];
  return `${periodLabel(start.value, granularity, locale)}: from ${shortDay(start.from, locale)} only, where the chosen period starts, so its figures are not a whole ${name}'s (the rows whose "${columnTitle}" is ${String(start.value)}).`;
}

/** '29 Jun' in the tenant's locale. */
function shortDay(day: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
}

/** As the portal labels a period on its axis: a month 'Jun 2026', a year '2026', another date '1 Apr 2026'. */
function periodLabel(value: string | number, granularity: Granularity, locale: string): string {
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(`${value.slice(0, 10)}T00:00:00Z`) : undefined;
  if (!date || Number.isNaN(date.getTime())) return String(value);
  const options: Intl.DateTimeFormatOptions = granularity === 'month' ? { month: 'short', year: 'numeric' } : granularity === 'year' ? { year: 'numeric' } : { dateStyle: 'medium' };
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' }).format(date);
}

/** What an export was made of, as its audit event records it. */
export interface ExportProvenance {
  what: string;
  query: AnalyticsQuery;
  source: Record<string, unknown>;
  scope: AnalyticsScope;
  dataVersion: number;
  asOf: string;
  auditEventId: string;
  /** The LMS organisations the filters and the scope name, by id, from the version's dim_organisation (organisationNamesOf). */
  organisationNames?: ReadonlyMap<number, string>;
}

/** The organisations an export's subtree filters and viewer scope name by id: what the About sheet names. */
export function organisationIdsOf(query: AnalyticsQuery, scope: AnalyticsScope): number[] {
  const fromFilters = (query.filters ?? []).filter((f) => f.member === SUBTREE_MEMBER).flatMap((f) => (f.values ?? []).flatMap((v) => subtreeIdOf(v) ?? []));
  const fromScope = scope.kind === 'viewer' ? scope.organisationIds : [];
  return [...new Set([...fromFilters, ...fromScope])];
}

const SUBTREE_MEMBER = 'Learner.organisationTree';

/** '/5/' -> 5: the organisation a subtree filter's value names. */
function subtreeIdOf(value: unknown): number | undefined {
  const match = typeof value === 'string' ? /^\/(\d+)\/$/.exec(value) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * The XLSX's "About this export" sheet, field and value per row: which data the file holds and in
 * which scope, so a file passed on still says what it is, and the incomplete period's sentence when
 * the rows hold that period.
 */
export function aboutRows(provenance: ExportProvenance, rows: number, partial: readonly string[]): [string, string | number][] {
  const { query, source, scope } = provenance;
  const names = provenance.organisationNames ?? new Map<number, string>();
  const time = query.timeDimension;
  const tile = typeof source.dashboardId === 'string' ? dashboardTileTitle(source.dashboardId, String(source.tileId)) : undefined;
  const dashboard = tile ? [['Dashboard tile', `${tile} (${String(source.dashboardId)} / ${String(source.tileId)})`] as [string, string]] : [];
  const cell = source.drill ? ((source.drill as { cell?: Record<string, unknown> }).cell ?? {}) : undefined;
  const drill = cell ? [['Learners behind', describeCell(cell)] as [string, string]] : [];
  const measures = query.measures.map((m) => memberOf(m)?.title ?? m).join(', ');
  return [
    ['Export of', tile ?? (cell ? `the learners behind ${measures}` : measures)],
    ...dashboard,
    ...drill,
    ['Data version', provenance.dataVersion],
    ['Data as of', provenance.asOf],
    ['Measures', query.measures.map(named).join(', ')],
    ['Dimensions', (query.dimensions ?? []).map(named).join(', ') || 'none'],
    ['Time dimension', time ? [named(time.dimension), time.granularity ? `by ${time.granularity}` : '', time.dateRange ? `from ${time.dateRange[0]} to ${time.dateRange[1]}` : '', time.fiscalYear ? `fiscal year ${time.fiscalYear}` : ''].filter(Boolean).join(' ') : 'none'],
    ['Filters', (query.filters ?? []).map((f) => describeFilter(f, names)).join('; ') || 'none'],
    ['Scope', describeScope(scope, names)],
    ['Rows', rows],
    ['Incomplete period', partial.length > 0 ? partial.join(' ') : 'none'],
    ['Audit event', provenance.auditEventId],
  ];
}

/** 'Course completion: Courses', as the portal titles the dashboard and its tile; undefined for one this release does not have. */
function dashboardTileTitle(dashboardId: string, tileId: string): string | undefined {
  const dashboard = DASHBOARDS.find((d) => d.id === dashboardId);
  const tile = dashboard?.tiles.find((t) => t.id === tileId);
  return dashboard && tile ? `${dashboard.title}: ${tile.title}` : undefined;
}

/** The figure a drill list opened: each of its cell's values by the title of its column, or the whole figure. */
function describeCell(cell: Record<string, unknown>): string {
  const parts = Object.entries(cell).map(([key, value]) => {
    // A time column's key is its dimension and grain ('CourseProgress.completedDate.month').
    const [cube, dimension, grain] = key.split('.');
    const member = memberOf(`${cube}.${dimension}`);
    const grainTitle = grain ? ` (${GRANULARITY_TITLES[grain as Granularity] ?? grain})` : '';
    return `${member?.title ?? key}${grainTitle} = ${filterValue(member, value)}`;
  });
  return parts.length > 0 ? parts.join('; ') : 'the whole figure (no row or bar of it chosen)';
}

/** The model's members by name, read once: the sheet names each as the portal titles it. */
let members: Map<string, MemberMeta> | undefined;

function memberOf(name: string): MemberMeta | undefined {
  members ??= new Map(describeModel().cubes.flatMap((cube) => [...cube.measures, ...cube.dimensions].map((m) => [m.name, m] as const)));
  return members.get(name);
}

/** 'Completion rate (CourseProgress.completionRate)': the title a reader knows, the name the API and the audit event use. */
function named(name: string): string {
  const member = memberOf(name);
  return member ? `${member.title} (${name})` : name;
}

/** A coded value as its label with its code ('"In progress" (in_progress)'); any other value as sent. */
function filterValue(member: MemberMeta | undefined, value: unknown): string {
  const label = member?.values?.find((v) => v.value === value)?.label;
  return label === undefined ? JSON.stringify(value) : `${JSON.stringify(label)} (${String(value)})`;
}

/** An organisation as the sheet names it: 'Northwind Group (LMS organisation 5)', or its id alone when the version does not name it. */
function organisation(id: number, names: ReadonlyMap<number, string>): string {
  const name = names.get(id);
  return name === undefined ? `LMS organisation ${id}` : `${JSON.stringify(name)} (LMS organisation ${id})`;
}

function describeFilter(filter: AnalyticsFilter, names: ReadonlyMap<number, string>): string {
  const member = memberOf(filter.member);
  const values = filter.values ?? [];
  // A period reads as the days it keeps; a subtree as the organisation it starts at.
  if (filter.operator === 'inDateRange' && values.length === 2) return `${named(filter.member)} from ${String(values[0])} to ${String(values[1])}`;
  if (filter.member === SUBTREE_MEMBER && filter.operator === 'contains') {
    const starts = values.map((v) => {
      const id = subtreeIdOf(v);
      return id === undefined ? JSON.stringify(v) : `${organisation(id, names)} and everything under it`;
    });
    return `${named(filter.member)}: ${starts.join(', or ')}`;
  }
  return [named(filter.member), filter.operator, values.map((v) => filterValue(member, v)).join(', ')].filter(Boolean).join(' ');
}

function describeScope(scope: AnalyticsScope, names: ReadonlyMap<number, string>): string {
  switch (scope.kind) {
    case 'tenant':
      return 'the whole organisation (tenant)';
    case 'manager':
      return `manager: learners under LMS user ${scope.managerUserId}, ${scope.reach === 'direct' ? 'direct reports only' : 'every level'} (manager, reach ${scope.reach})`;
    case 'viewer':
      return scope.organisationIds.length > 0
        ? `viewer: ${scope.organisationIds.map((id) => organisation(id, names)).join(', ')}, each with everything under it`
        : 'viewer: no organisation granted';
  }
}
