'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { runOperation } from '@/app/_client/graphql-client';
import { queryOf, rowsOf, type AnalyticsQueryInput, type Reach, type Row, type Tile } from './analytics.types';
import { DataTable, type SortState } from './data-table';
import { AnalyticsRowsQuery } from './dashboard.operations';
import { ExportButtons } from './export-buttons';

/**
 * A table tile. Sorting asks the gateway for the same query in the new order (the warehouse's
 * collation, not the browser's), and the export sends that very query: the file is what the table shows.
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
  drillHref: (row: Row) => string;
}) {
  const [sort, setSort] = useState<SortState | null>(null);
  const base = queryOf(tile);
  const sortedBy = sort ? tile.result.columns.find((c) => c.key === sort.key) : undefined;
  const query: AnalyticsQueryInput = sortedBy
    ? {
        ...base,
        // The tile's own order breaks ties, so equal values keep a stable order.
        order: [{ member: sortedBy.member, direction: sort!.direction }, ...(base.order ?? []).filter((o) => o.member !== sortedBy.member)],
      }
    : base;
  const resorted = useQuery({
    queryKey: ['tile-rows', query, reach],
    queryFn: () => runOperation(AnalyticsRowsQuery, { query, reach }),
    enabled: Boolean(sortedBy),
    placeholderData: keepPreviousData,
  });
  const rows = sortedBy && resorted.data ? rowsOf(resorted.data.analytics.rows) : rowsOf(tile.result.rows);
  return (
    <div aria-busy={resorted.isFetching || undefined}>
      <DataTable
        caption={tile.title}
        columns={tile.result.columns}
        rows={rows}
        locale={locale}
        sort={sort}
        onSort={setSort}
        drillHref={tile.drill ? drillHref : undefined}
        footer={<ExportButtons label={`${dashboardTitle} ${tile.title}`} request={{ query, reach }} />}
      />
      {resorted.error ? (
        <p className="notice error" role="alert">
          {resorted.error.message}
        </p>
      ) : null}
    </div>
  );
}
