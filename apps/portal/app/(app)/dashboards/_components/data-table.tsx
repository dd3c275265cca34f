'use client';

import Link from 'next/link';
import { useMemo, useState, type ReactNode } from 'react';
import type { Column, Row } from './analytics.types';
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

interface DataTableProps {
  caption: string;
  columns: Column[];
  rows: Row[];
  locale?: string;
  /** Without these the headers are plain: a list paged by the server cannot be sorted in the browser. */
  sort?: SortState | null;
  onSort?: (sort: SortState) => void;
  /** The drill list a row opens, when the table's rows can be drilled. */
  drillHref?: (row: Row) => string;
  /** Pages through the rows in the browser; a drill list pages on the server instead. */
  paginate?: boolean;
  footer?: ReactNode;
  /** How many rows the whole list has when only some are loaded (a drill list's first page says). */
  total?: number | null;
}

/** A table of an answer: sortable by any column (keyboard: the header buttons), paginated, each row drillable. */
export function DataTable({ caption, columns, rows, locale, sort, onSort, drillHref, paginate = true, footer, total }: DataTableProps) {
  const [page, setPage] = useState(0);
  const pages = paginate ? Math.max(1, Math.ceil(rows.length / PAGE_SIZE)) : 1;
  const current = Math.min(page, pages - 1);
  const shown = useMemo(() => (paginate ? rows.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE) : rows), [rows, current, paginate]);

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
              </th>
            ))}
            {drillHref ? (
              <th scope="col">
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
                    {formatCell(row[c.key], c, locale)}
                  </td>
                ),
              )}
              {drillHref ? (
                <td>
                  <Link href={drillHref(row)} className="drill-link">
                    Learners<span className="visually-hidden"> for {formatCell(row[columns[0].key], columns[0], locale)}</span>
                  </Link>
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
            : paginate
              ? `Rows ${current * PAGE_SIZE + 1}–${Math.min(rows.length, (current + 1) * PAGE_SIZE)} of ${rows.length}`
              : total != null && total > rows.length
                ? `Showing ${rows.length.toLocaleString(locale)} of ${total.toLocaleString(locale)} rows`
                : `${rows.length.toLocaleString(locale)} rows`}
        </span>
        {paginate && pages > 1 ? (
          <nav className="pager" aria-label={`Pages of ${caption}`}>
            <button type="button" className="button small" onClick={() => setPage(current - 1)} disabled={current === 0}>
              Previous
            </button>
            <span>
              Page {current + 1} of {pages}
            </span>
            <button type="button" className="button small" onClick={() => setPage(current + 1)} disabled={current >= pages - 1}>
              Next
            </button>
          </nav>
        ) : null}
        {footer}
      </div>
    </div>
  );
}
