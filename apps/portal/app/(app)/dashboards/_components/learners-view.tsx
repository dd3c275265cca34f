'use client';

import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useMemo } from 'react';
import { OperationError, runOperation } from '@/app/_client/graphql-client';
import { useOrganisations } from '@/app/_client/organisations';
import { queryOf, rowsOf, type AnalyticsFilterInput, type Column, type Reach, type Row } from './analytics.types';
import { DataTable } from './data-table';
import { dashboardQueryOptions } from './dashboard-view';
import { DrillQuery } from './dashboard.operations';
import { ACTIVE_MEMBER, hrefWith, periodRange, reachFromParams, TREE_MEMBER, viewParams } from './dashboard-url.util';
import { useDefinitions } from './definition';
import { ExportButtons } from './export-buttons';
import { titleOf, useMemberValues } from './filter-bar';
import { formatAsOf, formatCell, formatPeriod } from './format.util';
import { useLocale, usePeriodContext } from './use-locale';

const PAGE_SIZE = 100;

function parseCell(text: string | null): Row | null {
  if (!text) return {};
  try {
    const cell = JSON.parse(text) as unknown;
    return cell && typeof cell === 'object' && !Array.isArray(cell) ? (cell as Row) : null;
  } catch {
    return null;
  }
}

/** A list of only the learner's own columns is one row per learner (a distinct-learners figure); any other is one per item. */
function listNoun(columns: { member: string }[], n: number): string {
  const learners = columns.length > 0 && columns.every((c) => c.member.startsWith('Learner.'));
  return learners ? (n === 1 ? 'learner' : 'learners') : n === 1 ? 'row' : 'rows';
}

/** What a hand-edited or out-of-date link is told, in place of the gateway's words about members. */
const NOT_THIS_CHART = 'This link asks for a figure this chart does not have; open the chart again and choose a cell.';

/**
 * The list's columns in the order that explains it on a narrow screen first: the learner, the
 * clicked measure's own figure (a learner's overdue items), the item's columns (the program, its
 * status and dates), then the rest of the learner's (id, organisation, manager).
 */
function explainingOrder(columns: Column[], measure: string | undefined): Column[] {
  const [learner, ...rest] = columns;
  if (!learner) return columns;
  const own = rest.filter((c) => c.member === measure);
  const items = rest.filter((c) => c.member !== measure && !c.member.startsWith('Learner.'));
  const about = rest.filter((c) => c.member !== measure && c.member.startsWith('Learner.'));
  return [learner, ...own, ...items, ...about];
}

/**
 * The learners behind one figure of a dashboard: the tile's query (from the dashboard as filtered in
 * the URL) narrowed to the clicked cell, read a page at a time from the gateway.
 */
export function LearnersView({ id }: { id: string }) {
  const searchParams = useSearchParams();
  const params = useMemo(() => new URLSearchParams(searchParams.toString()), [searchParams]);
  const locale = useLocale();
  const tileId = params.get('tile');
  const cell = parseCell(params.get('cell'));
  const measure = params.get('measure') ?? undefined;
  const reach = reachFromParams(params);
  const backHref = hrefWith(`/dashboards/${id}`, viewParams(params));

  const periods = usePeriodContext();
  const dashboard = useQuery(dashboardQueryOptions(id, viewParams(params), periods));
  const tile = dashboard.data?.dashboard.tiles.find((t) => t.id === tileId);
  const query = tile ? queryOf(tile) : undefined;
  // A measure the tile does not draw (a link edited by hand, or from before the dashboard changed) has no list to open.
  const unknownMeasure = Boolean(query && measure && !query.measures?.includes(measure));
  const definitions = useDefinitions();

  const pages = useInfiniteQuery({
    queryKey: ['drill', id, query, cell, measure, reach],
    enabled: Boolean(query && cell) && !unknownMeasure,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => runOperation(DrillQuery, { query: query!, cell: cell!, measure, after: pageParam, pageSize: PAGE_SIZE, reach }),
    getNextPageParam: (last) => last.drill.nextCursor,
  });
  // In the gateway's order (the list is read a page at a time), which is also the export's.
  const rows = useMemo(() => pages.data?.pages.flatMap((p) => rowsOf(p.drill.rows)) ?? [], [pages.data]);
  const first = pages.data?.pages[0]?.drill;

  const problem =
    !tileId || !cell
      ? 'This link does not name a figure to list (tile and cell): open the list from a dashboard.'
      : (dashboard.error?.message ??
        (unknownMeasure || (pages.error instanceof OperationError && pages.error.code === 'INVALID_QUERY') ? NOT_THIS_CHART : pages.error?.message) ??
        (dashboard.data && !tile ? `The dashboard has no tile "${tileId}".` : null));

  const narrowedBy = tile && cell ? Object.entries(cell).map(([key, value]) => {
    const column = tile.result?.columns.find((c) => c.key === key);
    return `${column?.title ?? key}: ${column ? formatCell(value, column, locale) : String(value)}`;
  }) : [];
  const measureTitle = tile && measure ? tile.result?.columns.find((c) => c.member === measure)?.title : undefined;
  // The dashboard's periods this list was cut by ('Completed: 1 Mar 2026 – 31 Mar 2026'), when they reach the tile's cube.
  const periodsCut = (dashboard.data?.dashboard.periods ?? []).flatMap((period) => {
    const member = period.members.find((m) => tile && queryOf(tile).filters?.some((f) => f.member === m && f.operator === 'inDateRange'));
    const range = member ? periodRange(params.get(member) ?? '', periods) : null;
    return range ? [`${period.title}: ${formatPeriod(range, locale)}`] : [];
  });
  // The other filters the tile's figures were cut by, as the filter bar names them, and whose learners.
  const filtered = (query?.filters ?? []).filter((f) => f.operator !== 'inDateRange' && f.member !== ACTIVE_MEMBER && params.has(f.member));
  const widened = (query?.filters ?? []).some((f) => f.member === ACTIVE_MEMBER && f.operator === 'set');

  return (
    <>
      <p>
        <Link href={backHref}>← Back to {dashboard.data?.dashboard.title ?? 'the dashboard'}</Link>
      </p>
      <h1>Learners</h1>
      {tile ? (
        <p className="lede" data-testid="drill-context">
          {tile.title}
          {measureTitle ? ` · ${measureTitle}` : ''}
          {narrowedBy.length > 0 ? ` · ${narrowedBy.join(' · ')}` : ''}
          {periodsCut.length > 0 ? ` · ${periodsCut.join(' · ')}` : ''}
          {filtered.map((f) => (
            f.member === TREE_MEMBER ? <TreeWords key={f.member} filter={f} reach={reach} /> : <FilterWords key={f.member} filter={f} reach={reach} />
          ))}
          {widened ? ' · Inactive learners included' : ''}
          {reach === 'direct' ? ' · Direct reports only' : ''}
        </p>
      ) : null}
      {first && first.total != null ? (
        <p data-testid="drill-total">
          <strong>{first.total.toLocaleString(locale)}</strong> {listNoun(first.columns, first.total)} make{first.total === 1 ? 's' : ''} up this figure
          {rows.length < first.total ? ` · showing the first ${rows.length.toLocaleString(locale)}` : ''}
        </p>
      ) : null}
      {first ? (
        <p className="as-of">
          Data as of <strong>{formatAsOf(first.asOf, locale)}</strong> · version {first.dataVersion}
        </p>
      ) : null}
      {problem ? (
        <div className="notice error" role="alert">
          <p>{problem}</p>
          {problem === NOT_THIS_CHART ? <Link href={backHref}>Back to {dashboard.data?.dashboard.title ?? 'the dashboard'}</Link> : null}
        </div>
      ) : !first ? (
        <div className="tile skeleton" role="status" aria-busy="true" aria-label="Loading the learners">
          <div className="skeleton-block" />
        </div>
      ) : rows.length === 0 ? (
        <p className="empty-state" role="status">
          No learners make up this figure.
        </p>
      ) : (
        <section className="tile" aria-label="Learners">
          <DataTable
            caption="Learners"
            columns={explainingOrder(first.columns, measure)}
            rows={rows}
            definitions={definitions}
            locale={locale}
            paginate={false}
            total={first.total}
            footer={
              <>
                {pages.hasNextPage ? (
                  <button type="button" className="button small" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
                    {pages.isFetchingNextPage ? 'Loading…' : `Show ${PAGE_SIZE} more`}
                  </button>
                ) : null}
                <ExportButtons label={`${dashboard.data?.dashboard.title ?? ''} learners`} request={{ drill: { query, cell, ...(measure ? { measure } : {}) }, reach }} />
              </>
            }
          />
        </section>
      )}
    </>
  );
}

/** One filter the list was cut by, as its chip in the filter bar reads: 'Course type: Seminar'. */
function FilterWords({ filter, reach }: { filter: AnalyticsFilterInput; reach: Reach }) {
  const values = (filter.values ?? []).map(String);
  const flag = /\.is[A-Z]/.test(filter.member);
  const coded = useMemberValues(filter.member, reach, !flag, '', values);
  const labelOf = (value: string) => (flag ? ({ true: 'yes', false: 'no' }[value] ?? value) : (coded.values.find((v) => v.value === value)?.label ?? value));
  return <>{` · ${titleOf(filter.member)}: ${values.map(labelOf).join(', ')}`}</>;
}

/** "Organisation and below", by the organisations' names (the link holds their paths). */
function TreeWords({ filter, reach }: { filter: AnalyticsFilterInput; reach: Reach }) {
  const organisations = useOrganisations(reach);
  const names = (filter.values ?? []).map((path) => organisations.data?.find((o) => `/${o.id}/` === path)?.name ?? String(path));
  return <>{` · ${titleOf(filter.member)}: ${names.join(', ')}`}</>;
}
