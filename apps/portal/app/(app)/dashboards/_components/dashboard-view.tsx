'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useMemo } from 'react';
import { OperationError, runOperation } from '@/app/_client/graphql-client';
import { rowsOf, cellOf, isAnswered, queryOf, type AnalyticsFilterInput, type Dashboard, type Row, type Tile } from './analytics.types';
import { ChartTile } from './chart-tile';
import { DashboardQuery } from './dashboard.operations';
import { ACTIVE_MEMBER, filtersFromParams, hrefWith, reachFromParams, viewParams, withParams, type ParamValue, type PeriodContext } from './dashboard-url.util';
import { FilterBar, titleOf } from './filter-bar';
import { formatAsOf, formatPeriod } from './format.util';
import { KpiTile } from './kpi-tile';
import { DashboardSkeleton } from './skeleton';
import { TableTile } from './table-tile';
import { TileProblem } from './tile-problem';
import { useLocale, usePeriodContext } from './use-locale';

export function dashboardQueryOptions(id: string, params: URLSearchParams, periods: PeriodContext) {
  const filters = filtersFromParams(params, periods);
  const reach = reachFromParams(params);
  return {
    queryKey: ['dashboard', id, filters, reach] as const,
    queryFn: () => runOperation(DashboardQuery, { id, filters, reach }),
  };
}

// The dashboard's own empty state says which export file to load: its org admin's business. A manager
// or viewer with nothing to see is told why in terms of their own access, and whom to ask.
const MANAGER_EMPTY =
  "Nothing here yet for your reports. Your reports are the people the LMS records you as the manager of; if someone is missing, ask your organisation's Kineo administrator.";
const VIEWER_EMPTY =
  "Nothing here yet for the organisations you can see. Your organisation's Kineo administrator chooses which organisations you see; if this looks wrong, ask them.";

/** Nothing to show: every tile answered no rows, or only zero counts (a failed tile has its message to show). */
function isEmpty(dashboard: Dashboard): boolean {
  return dashboard.tiles.every((tile) => {
    if (!isAnswered(tile)) return false;
    const rows = rowsOf(tile.result.rows);
    if (tile.chart !== 'kpi') return rows.length === 0;
    return rows.every((row) => Object.values(row).every((v) => v === null || v === 0));
  });
}

/** The data's last day (the build's as-of), as a period's days are written: YYYY-MM-DD. */
function dataDayOf(dashboard: Dashboard): string {
  return String(dashboard.asOf).slice(0, 10);
}

/**
 * The periods set that begin after the data's last day (a preset counts from today, and the last
 * load may be older): why a period leaves nothing, said beside "Nothing matches these filters".
 */
function periodsAfterData(dashboard: Dashboard, filters: readonly AnalyticsFilterInput[]): { title: string; range: [string, string] }[] {
  const lastDay = dataDayOf(dashboard);
  const after = new Map<string, [string, string]>();
  for (const f of filters) {
    // A period of several members (Activity on) sets each to the same days: said once.
    const period = dashboard.periods.find((p) => p.members.includes(f.member));
    const [from, to] = (f.values ?? []).map(String);
    if (period && f.operator === 'inDateRange' && from && to && from > lastDay) after.set(period.title, [from, to]);
  }
  return [...after].map(([title, range]) => ({ title, range }));
}

/**
 * The filters set that a tile's figures are not cut by (a SCORM package on the seminars' tiles: a
 * filter goes only to the tiles whose facts it can cut). A period counts as one filter, whichever of
 * its members the tile takes.
 */
function filtersNotApplied(tile: Parameters<typeof queryOf>[0], sent: readonly AnalyticsFilterInput[], periods: Dashboard['periods']): string[] {
  const taken = new Set((queryOf(tile).filters ?? []).map((f) => f.member));
  const names = new Map<string, boolean>();
  for (const f of sent) {
    if (f.member === ACTIVE_MEMBER) continue;
    const period = periods.find((p) => p.members.includes(f.member));
    const name = period ? period.title : titleOf(f.member);
    const applied = period ? period.members.some((m) => taken.has(m)) : taken.has(f.member);
    names.set(name, (names.get(name) ?? false) || applied);
  }
  return [...names].filter(([, applied]) => !applied).map(([name]) => name);
}

/** A tile with neither answer nor error: a reply the portal cannot read, so worth asking again. */
const UNANSWERED = { code: 'INTERNAL', message: 'This figure did not come back with the dashboard.', retryAfterSeconds: null };

export function DashboardView({ id, isManager, isAdmin = false }: { id: string; isManager: boolean; isAdmin?: boolean }) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const params = useMemo(() => new URLSearchParams(searchParams.toString()), [searchParams]);
  const locale = useLocale();
  const periods = usePeriodContext();
  const options = dashboardQueryOptions(id, params, periods);
  const { data, error, isPending, isFetching, refetch } = useQuery({ ...options, placeholderData: (previous) => previous });
  const reach = reachFromParams(params);
  // The view is cut by a filter, a period or "Direct reports only" (including inactive learners only widens it).
  const narrowed = options.queryKey[2].some((f) => f.member !== ACTIVE_MEMBER) || reach === 'direct';

  // Each filter change is a step of the browser's history: Back takes the last one off, as on any site.
  const setParams = (changes: readonly (readonly [string, ParamValue])[]) => router.push(hrefWith(pathname, withParams(params, changes)), { scroll: false });
  const learnersHref = (tile: Tile, cell: Row, measure?: string) => {
    const next = viewParams(params);
    next.set('tile', tile.id);
    next.set('cell', JSON.stringify(cell));
    if (measure) next.set('measure', measure);
    return hrefWith(`/dashboards/${id}/learners`, next);
  };

  if (error) {
    const code = error instanceof OperationError ? error.code : 'INTERNAL';
    return (
      <>
        <h1>Dashboard</h1>
        {code === 'NO_DATA' ? (
          <div className="empty-state" role="status">
            <p>{error.message}</p>
            {/* The one who can load it is taken to where it is loaded. */}
            {isAdmin ? (
              <Link className="button primary" href="/onboarding">
                Load your LMS export
              </Link>
            ) : null}
          </div>
        ) : (
          <p className="notice error" role="alert">
            {error.message}
          </p>
        )}
        {code === 'INVALID_QUERY' && params.size > 0 ? (
          // A link written for another dashboard, or edited by hand: the way back is this dashboard without its filters.
          <button type="button" className="button" onClick={() => router.push(hrefWith(pathname, new URLSearchParams()), { scroll: false })}>
            Clear the filters
          </button>
        ) : null}
      </>
    );
  }

  const dashboard = data?.dashboard;
  return (
    <>
      <div className="dashboard-head">
        <div>
          <h1>{dashboard?.title ?? 'Loading…'}</h1>
          {dashboard ? <p className="lede">{dashboard.description}</p> : null}
        </div>
        {dashboard ? (
          <div className="dashboard-actions">
            <p className="as-of" data-testid="as-of">
              Data as of <strong>{formatAsOf(dashboard.asOf, locale)}</strong> · version {dashboard.dataVersion}
            </p>
            {/* The browser's print, which also saves a PDF: the page prints as the figures and the filters set (globals.css, @media print). */}
            <button type="button" className="button small no-print" onClick={() => window.print()} disabled={isPending || isFetching}>
              Print or save as PDF
            </button>
          </div>
        ) : null}
      </div>
      {dashboard ? <FilterBar members={dashboard.filters} periods={dashboard.periods} params={params} reach={reach} reader={isAdmin ? 'admin' : isManager ? 'manager' : 'viewer'} today={periods} dataDay={dataDayOf(dashboard)} locale={locale} onChange={setParams} /> : null}
      {isPending || !dashboard ? (
        <DashboardSkeleton />
      ) : isEmpty(dashboard) && narrowed ? (
        // Filtered to nothing: the data is there, the filters leave none of it (not "upload a file").
        <div className="empty-state" role="status">
          <p>Nothing matches these filters: no {reach === 'direct' ? 'direct report' : 'learner'} has anything in them.</p>
          {periodsAfterData(dashboard, options.queryKey[2]).map(({ title, range }) => (
            <p key={title} data-testid="period-after-data">
              {title}: {formatPeriod(range, locale)}. That begins after the data&apos;s last day, {formatAsOf(dashboard.asOf, locale)}: the figures
              run to the date the last load was taken on.
            </p>
          ))}
          <button type="button" className="button" onClick={() => router.push(hrefWith(pathname, new URLSearchParams()), { scroll: false })}>
            Clear the filters
          </button>
        </div>
      ) : isEmpty(dashboard) ? (
        <p className="empty-state" role="status">
          {isAdmin ? dashboard.emptyState : isManager ? MANAGER_EMPTY : VIEWER_EMPTY}
        </p>
      ) : (
        <div className="tiles" aria-busy={isFetching || undefined}>
          {dashboard.tiles.map((tile) => (
            <section key={tile.id} className={`tile tile-${tile.chart}`} aria-labelledby={`tile-${tile.id}`} data-tile={tile.id}>
              <h2 id={`tile-${tile.id}`}>{tile.title}</h2>
              {filtersNotApplied(tile, options.queryKey[2], dashboard.periods).map((name) => (
                <p key={name} className="tile-note" data-testid="not-filtered">
                  Not filtered by {name}: it does not apply to these figures.
                </p>
              ))}
              {!isAnswered(tile) ? (
                <TileProblem error={tile.error ?? UNANSWERED} onRetry={() => void refetch()} retrying={isFetching} />
              ) : tile.chart === 'kpi' ? (
                <KpiTile tile={tile} locale={locale} drillHref={(measure) => learnersHref(tile, {}, measure)} />
              ) : tile.chart === 'table' ? (
                <TableTile tile={tile} dashboardTitle={dashboard.title} locale={locale} reach={reach} drillHref={(row, measure) => learnersHref(tile, cellOf(tile, row), measure)} />
              ) : (
                <ChartTile tile={tile} locale={locale} cut={{ exportLabel: dashboard.title, reach }} drillHref={(row, measure) => learnersHref(tile, cellOf(tile, row), measure)} />
              )}
            </section>
          ))}
        </div>
      )}
    </>
  );
}
