'use client';

import { IntentLink } from '@/app/_client/intent-link';
import { useMemo, useState, type ReactNode } from 'react';
import type { Column, Row } from './analytics.types';
import { Definition, type Definitions } from './definition';
import { formatCell } from './format.util';

export interface SortState {
  key: string;
  direction: 'asc' | 'desc';
}

const PAGE_SIZE = 25;

function compare(a: Row[string], b: Row[string]): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export function sortRows(rows: Row[], sort: SortState | null): Row[] {
  if (!sort) return rows;
  const sign = sort.direction === 'asc' ? 1 : -1;
  // Nulls last in both directions; ties keep the gateway's order.
  return rows
    .map((row, i) => ({ row, i }))
    .sort((x, y) => {
      const a = x.row[sort.key];
      const b = y.row[sort.key];
      if (a === null || a === undefined || b === null || b === undefined) return compare(a, b) || x.i - y.i;
      return sign * compare(a, b) || x.i - y.i;
    })
    .map(({ row }) => row);
}

/** One page of a list the server pages: the table shows `rows`, the page they are, and asks for another through `onPage`. */
export interface ServerPage {
  /** From 0. */
  page: number;
  pageSize: number;
  /** Rows in the whole list; null when the server did not count them (then Next follows `hasMore`). */
  total: number | null;
  /** Rows exist past this page. */
  hasMore: boolean;
  onPage: (page: number) => void;
  /** "Rows per page", when given: the size chosen (the page shown may still be of the size before) and how to ask for another. */
  sizeChoice?: { pageSize: number; onPageSize: (pageSize: number) => void };
}

/** What "Rows per page" offers a list paged by the server. */
export const PAGE_SIZES = [25, 50, 100] as const;

interface DataTableProps {
  caption: string;
  columns: Column[];
  rows: Row[];
  locale?: string;
  /** Without these the headers are plain: a list paged by the server cannot be sorted in the browser. */
  sort?: SortState | null;
  onSort?: (sort: SortState) => void;
  /** The drill list a row opens (of one measure's figure, when given), when the table's rows can be drilled. */
  drillHref?: (row: Row, measure?: string) => string;
  /**
   * The table's measure columns, when its rows are drilled: a table of one measure opens that
   * measure's list from each row; one of several opens each count's own list from its cell.
   */
  measures?: readonly Column[];
  /** What each measure counts, shown behind a button beside its header. */
  definitions?: Definitions;
  /** Pages through the rows in the browser; a drill list pages on the server instead. */
  paginate?: boolean;
  /** `rows` are one page of a longer list the server pages (a table tile): the pager asks the owner for another. */
  serverPage?: ServerPage;
  footer?: ReactNode;
  /** How many rows the whole list has when only some are loaded (a drill list's first page says). */
  total?: number | null;
}

/** Where the shown rows sit in the whole list, and where the pager can go. */
interface PagerState {
  page: number;
  /** Null when the list's length is unknown. */
  pages: number | null;
  first: number;
  last: number;
  of: number | null;
  canNext: boolean;
  go: (page: number) => void;
}

function serverPager({ page, pageSize, total, hasMore, onPage }: ServerPage, shown: number): PagerState {
  const pages = total == null ? null : Math.max(1, Math.ceil(total / pageSize));
  return {
    page,
    pages,
    first: page * pageSize + 1,
    last: page * pageSize + shown,
    of: total,
    canNext: pages == null ? hasMore : page < pages - 1,
    go: onPage,
  };
}

/**
 * A table of an answer: sortable by any column (keyboard: the header buttons), paginated (in the
 * browser, or by the server for a table tile), each row drillable.
 */
export function DataTable({ caption, columns, rows, locale, sort, onSort, drillHref, measures = [], definitions, paginate = true, serverPage, footer, total }: DataTableProps) {
  const [page, setPage] = useState(0);
  const browserPaged = paginate && !serverPage;
  const pages = browserPaged ? Math.max(1, Math.ceil(rows.length / PAGE_SIZE)) : 1;
  const current = Math.min(page, pages - 1);
  const shown = useMemo(() => (browserPaged ? rows.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE) : rows), [rows, current, browserPaged]);
  const pager: PagerState | null = serverPage
    ? serverPager(serverPage, rows.length)
    : browserPaged
      ? {
          page: current,
          pages,
          first: current * PAGE_SIZE + 1,
          last: Math.min(rows.length, (current + 1) * PAGE_SIZE),
          of: rows.length,
          canNext: current < pages - 1,
          go: setPage,
        }
      : null;
  const count = (n: number) => n.toLocaleString(locale);
  // One measure: the row's link is its figure's list. Several: the row's link lists every record of
  // the row, and each count opens its own (a rate or an average has no list of its own).
  const rowMeasure = measures.length === 1 ? measures[0].member : undefined;
  const cellDrills = new Set(measures.length > 1 ? measures.filter((m) => m.format === 'integer').map((m) => m.key) : []);
  const rowName = (row: Row) => formatCell(row[columns[0].key], columns[0], locale);

  function toggle(key: string) {
    onSort?.({ key, direction: sort?.key === key && sort.direction === 'asc' ? 'desc' : 'asc' });
    setPage(0);
  }

  return (
    <div className="table-wrap">
      <table className="data-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th
                key={c.key}
                scope="col"
                className={c.type === 'number' ? 'num' : undefined}
                aria-sort={sort?.key === c.key ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined}
              >
                {onSort ? (
                  <button type="button" className="sort" onClick={() => toggle(c.key)}>
                    {c.title}
                    <span aria-hidden="true" className="sort-mark">
                      {sort?.key === c.key ? (sort.direction === 'asc' ? '▲' : '▼') : ''}
                    </span>
                  </button>
                ) : (
                  <span className="plain-header">{c.title}</span>
                )}
                <Definition term={c.title} text={definitions?.get(c.member)} />
              </th>
            ))}
            {drillHref ? (
              <th scope="col" className="drill-cell">
                <span className="visually-hidden">Learners</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {shown.map((row, i) => (
            <tr key={i}>
              {columns.map((c, j) =>
                j === 0 ? (
                  <th key={c.key} scope="row" className={c.type === 'number' ? 'num' : undefined}>
                    {formatCell(row[c.key], c, locale)}
                  </th>
                ) : (
                  <td key={c.key} className={c.type === 'number' ? 'num' : undefined}>
                    {drillHref && cellDrills.has(c.key) && Number(row[c.key] ?? 0) > 0 ? (
                      <IntentLink href={drillHref(row, c.member)} aria-label={`${c.title} for ${rowName(row)}: ${formatCell(row[c.key], c, locale)}, open the learners`}>
                        {formatCell(row[c.key], c, locale)}
                      </IntentLink>
                    ) : (
                      formatCell(row[c.key], c, locale)
                    )}
                  </td>
                ),
              )}
              {drillHref ? (
                <td className="drill-cell">
                  <IntentLink href={drillHref(row, rowMeasure)} className="drill-link">
                    Learners<span className="visually-hidden"> for {rowName(row)}</span>
                  </IntentLink>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="table-footer">
        <span className="muted" aria-live="polite">
          {rows.length === 0
            ? 'No rows'
            : pager
              ? `Rows ${count(pager.first)}–${count(pager.last)}${pager.of != null ? ` of ${count(pager.of)}` : ''}`
              : total != null && total > rows.length
                ? `Showing ${count(rows.length)} of ${count(total)} rows`
                : `${count(rows.length)} rows`}
        </span>
        {serverPage?.sizeChoice && (pager?.page !== 0 || pager.canNext || serverPage.sizeChoice.pageSize > PAGE_SIZES[0]) ? (
          <PageSizeSelect caption={caption} {...serverPage.sizeChoice} />
        ) : null}
        {pager && (pager.page > 0 || pager.canNext) ? (
          <nav className="pager" aria-label={`Pages of ${caption}`}>
            <button type="button" className="button small" onClick={() => pager.go(pager.page - 1)} disabled={pager.page === 0}>
              Previous
            </button>
            <span>
              Page {count(pager.page + 1)}
              {pager.pages != null ? ` of ${count(pager.pages)}` : ''}
            </span>
            <button type="button" className="button small" onClick={() => pager.go(pager.page + 1)} disabled={!pager.canNext}>
              Next
            </button>
          </nav>
        ) : null}
        {footer}
      </div>
    </div>
  );
}

function PageSizeSelect({ caption, pageSize, onPageSize }: { caption: string; pageSize: number; onPageSize: (pageSize: number) => void }) {
  const sizes: number[] = PAGE_SIZES.includes(pageSize as (typeof PAGE_SIZES)[number]) ? [...PAGE_SIZES] : [...PAGE_SIZES, pageSize].sort((a, b) => a - b);
  return (
    <label className="page-size">
      Rows per page
      <select value={pageSize} onChange={(e) => onPageSize(Number(e.target.value))} aria-label={`Rows per page of ${caption}`}>
        {sizes.map((size) => (
          <option key={size} value={size}>
            {size}
          </option>
        ))}
      </select>
    </label>
  );
}
