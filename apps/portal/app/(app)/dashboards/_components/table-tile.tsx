'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { runOperation } from '@/app/_client/graphql-client';
import { measureColumns, queryOf, rowsOf, type AnalyticsQueryInput, type Reach, type Row, type Tile } from './analytics.types';
import { DataTable, PAGE_SIZES, type SortState } from './data-table';
import { useDefinitions } from './definition';
import { AnalyticsRowsQuery } from './dashboard.operations';
import { hrefWith } from './dashboard-url.util';
import { ExportButtons } from './export-buttons';

/**
 * A table tile. Its query is the whole list; a tile with a `pageSize` is paged by the gateway: the
 * dashboard brings the first page in the tile's order, and any other page or order is the same
 * query with a limit and an offset. Sorting asks the gateway too (the warehouse's collation, not the
 * browser's) and goes back to the first page. The export sends the whole list in the order shown,
 * so the file holds every row, not the page on screen.
 */
export function TableTile({
  tile,
  dashboardTitle,
  locale,
  reach,
  drillHref,
}: {
  tile: Tile;
  dashboardTitle: string;
  locale?: string;
  reach: Reach;
  drillHref: (row: Row, measure?: string) => string;
}) {
  const definitions = useDefinitions();
  const base = queryOf(tile);
  // "Rows per page": the tile's own size until another is chosen, then the one chosen last in this
  // browser (kept across filter changes, dashboards and visits).
  const [chosenSize, setChosenSize] = useState<number | null>(null);
  useEffect(() => setChosenSize(rememberedPageSize()), []);
  const pageSize = tile.pageSize != null ? (chosenSize ?? tile.pageSize) : null;
  // The order chosen is part of the view: in the URL (`sort-<tile>=<column>:<asc|desc>`, no dot, so
  // never read as a filter), so a link or a reload shows the table sorted as it was, and Back undoes it.
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const sortParam = `sort-${tile.id}`;
  const inUrl = searchParams.get(sortParam);
  // The order just chosen holds until the URL says otherwise (a second click before the first one's
  // navigation lands turns that order, not the URL's old one).
  const [chosen, setChosen] = useState<{ sort: SortState; over: string | null } | null>(null);
  // Once the URL has moved (the navigation landed, or Back), it is the order again.
  if (chosen && chosen.over !== inUrl) setChosen(null);
  const sort = chosen && chosen.over === inUrl ? chosen.sort : sortFromParam(inUrl);
  const setSort = (next: SortState) => {
    setChosen({ sort: next, over: inUrl });
    const params = new URLSearchParams(searchParams.toString());
    params.set(sortParam, `${next.key}:${next.direction}`);
    router.push(hrefWith(pathname, params), { scroll: false });
  };
  // The page belongs to the list it was chosen in: new filters or reach start again at the first.
  const list = JSON.stringify([base, reach]);
  const [paging, setPaging] = useState({ list, page: 0 });
  const page = pageSize !== null && paging.list === list ? paging.page : 0;
  const setPage = (next: number) => setPaging({ list, page: next });
  // Another size keeps the first row shown on the page shown.
  const setPageSize = (next: number) => {
    setPaging({ list, page: pageSize ? Math.floor((page * pageSize) / next) : 0 });
    setChosenSize(next);
    rememberPageSize(next);
  };

  const sortedBy = sort ? tile.result.columns.find((c) => c.key === sort.key) : undefined;
  const whole: AnalyticsQueryInput = sortedBy
    ? {
        ...base,
        // The tile's own order breaks ties, so equal values keep a stable order.
        order: [{ member: sortedBy.member, direction: sort!.direction }, ...(base.order ?? []).filter((o) => o.member !== sortedBy.member)],
      }
    : base;
  // The dashboard's answer is the first page in the tile's order and size: no second request for it.
  const ownAnswer = !sortedBy && page === 0 && pageSize === (tile.pageSize ?? null);
  const query: AnalyticsQueryInput = pageSize !== null ? { ...whole, limit: pageSize, offset: page * pageSize } : whole;
  const fetched = useQuery({
    queryKey: ['tile-rows', query, reach],
    // The page and its size travel with its rows, so while the next one loads the footer still describes the rows shown.
    queryFn: async () => ({ page, pageSize, answer: (await runOperation(AnalyticsRowsQuery, { query, reach })).analytics }),
    enabled: !ownAnswer,
    placeholderData: keepPreviousData,
  });
  const shown = !ownAnswer && fetched.data ? fetched.data : { page: 0, pageSize: tile.pageSize ?? null, answer: tile.result };

  return (
    <div aria-busy={fetched.isFetching || undefined}>
      <DataTable
        caption={tile.title}
        columns={tile.result.columns}
        rows={rowsOf(shown.answer.rows)}
        locale={locale}
        sort={sort}
        onSort={(next) => {
          setSort(next);
          setPage(0);
        }}
        serverPage={
          pageSize !== null
            ? // Sorting does not change how many rows the list has: the dashboard's count holds for every order.
              { page: shown.page, pageSize: shown.pageSize ?? pageSize, total: tile.result.total ?? null, hasMore: shown.answer.hasMore, onPage: setPage, sizeChoice: { pageSize, onPageSize: setPageSize } }
            : undefined
        }
        drillHref={tile.drill ? drillHref : undefined}
        measures={measureColumns(tile)}
        definitions={definitions}
        footer={<ExportButtons label={`${dashboardTitle} ${tile.title}`} request={{ query: whole, reach }} />}
      />
      {fetched.error ? (
        <p className="notice error" role="alert">
          {fetched.error.message}
        </p>
      ) : null}
    </div>
  );
}

/** 'Learner.overdueItems:desc' -> that column, descending; anything else, no order chosen. */
function sortFromParam(value: string | null): SortState | null {
  const at = value?.lastIndexOf(':') ?? -1;
  if (!value || at <= 0) return null;
  const direction = value.slice(at + 1);
  return direction === 'asc' || direction === 'desc' ? { key: value.slice(0, at), direction } : null;
}

const PAGE_SIZE_KEY = 'kineo.rowsPerPage';

/** The rows per page chosen last in this browser, if it is one offered; null when none was (or storage is off). */
function rememberedPageSize(): number | null {
  try {
    const size = Number(window.localStorage.getItem(PAGE_SIZE_KEY));
    return (PAGE_SIZES as readonly number[]).includes(size) ? size : null;
  } catch {
    return null;
  }
}

function rememberPageSize(size: number): void {
  try {
    window.localStorage.setItem(PAGE_SIZE_KEY, String(size));
  } catch {
    // Private browsing with storage off: the choice lasts while the page is open.
  }
}
