'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { IntentLink } from '@/app/_client/intent-link';
import { useState } from 'react';
import { runOperation } from '@/app/_client/graphql-client';
import { useTenantLocale } from '@/app/_client/locale-context';
import { FleetQuery } from './ops.operations';
import { formatBytes } from '@/app/_shared/format-bytes.util';
import { checksText, DATA_ROWS_HINT, formatCount, formatWhen, goldRebuildText, offboardedVersionText, OPS_REFRESH_MS, publishedByText, rollupsText } from './ops-format.util';
import { ProvisionForm } from './provision-form';
import { StatusBadge } from './status-badge';

const PAGE_SIZE = 20;

/**
 * Kineo ops' fleet: every tenant with its plan, status, latest load and build (with its checks),
 * gold rows, data version and whether its rollups are current, paged by the gateway's cursor (kept as a stack for "Previous").
 */
export function FleetConsole() {
  const locale = useTenantLocale();
  const [search, setSearch] = useState('');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const fleet = useQuery({
    queryKey: ['fleet', search, after],
    queryFn: () => runOperation(FleetQuery, { first: PAGE_SIZE, after, search: search || null }),
    placeholderData: keepPreviousData,
    // Loads and builds run by themselves, so the list follows them; faster while a tenant is being
    // provisioned, which turns active (with its storage) within seconds.
    refetchInterval: (query) => (query.state.data?.fleet.items.some((t) => t.status === 'provisioning') ? 2000 : OPS_REFRESH_MS),
  });
  const page = fleet.data?.fleet;

  return (
    <>
      <div className="dashboard-head">
        <div>
          <h1>Tenants</h1>
          <p className="lede">Every organisation on the platform: plan, status, latest load and build, and the data it serves.</p>
        </div>
      </div>
      <ProvisionForm onProvisioned={() => setCursors([null])} />
      <section className="tile" aria-labelledby="fleet-heading">
        <div className="tile-head">
          <h2 id="fleet-heading">Fleet</h2>
          <form className="search" role="search" onSubmit={(e) => e.preventDefault()}>
            <label htmlFor="fleet-search">Search tenants</label>
            <input
              id="fleet-search"
              type="search"
              value={search}
              placeholder="Slug or name"
              onChange={(e) => {
                setSearch(e.target.value);
                setCursors([null]);
              }}
            />
          </form>
        </div>
        {fleet.error ? (
          <p className="notice error" role="alert">
            {fleet.error.message}
          </p>
        ) : !page ? (
          <div className="skeleton" role="status" aria-busy="true" aria-label="Loading the fleet">
            <div className="skeleton-block" />
          </div>
        ) : page.items.length === 0 ? (
          <p className="empty-state" role="status">
            {search ? `No tenant matches "${search}".` : 'No tenants yet: provision the first one above.'}
          </p>
        ) : (
          <div className="table-wrap" aria-busy={fleet.isFetching || undefined}>
            <table className="data-table" data-testid="fleet">
              <caption className="visually-hidden">Tenants, by slug</caption>
              <thead>
                <tr>
                  <th scope="col">Tenant</th>
                  <th scope="col">Plan</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last load</th>
                  <th scope="col">Last load build or rebuild</th>
                  <th scope="col">Checks</th>
                  <th scope="col" className="num">
                    <abbr title={DATA_ROWS_HINT}>Data rows</abbr>
                  </th>
                  <th scope="col" className="num">
                    Data version
                  </th>
                  <th scope="col">Rollups</th>
                  <th scope="col" className="num">
                    Storage
                  </th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((t) => (
                  <tr key={t.id}>
                    <th scope="row">
                      <IntentLink href={`/platform/tenants/${encodeURIComponent(t.slug)}`}>{t.name}</IntentLink>
                      <span className="muted block">{t.slug}</span>
                    </th>
                    <td>{t.plan?.name ?? '—'}</td>
                    <td>
                      <StatusBadge status={t.status} />
                    </td>
                    <td>{t.lastLoad ? `${t.lastLoad.status}, ${formatWhen(t.lastLoad.at, locale)}` : '—'}</td>
                    <td>{t.lastBuild ? `${t.lastBuild.status}, ${formatWhen(t.lastBuild.finishedAt ?? t.lastBuild.createdAt, locale)}` : '—'}</td>
                    <td>{t.lastBuild ? checksText(t.lastBuild) : '—'}</td>
                    <td className="num">{formatCount(t.rows, locale)}</td>
                    <td className="num">
                      {t.status === 'offboarded' ? <span title={`Removed at offboarding; ${offboardedVersionText(t.dataVersion)}`}>removed</span> : t.dataVersion}
                      {t.publishedBy && t.status !== 'offboarded' ? <span className="muted block">{publishedByText(t.publishedBy, locale)}</span> : null}
                      {t.goldRebuild ? (
                        <span className={`badge badge-${t.goldRebuild.state === 'failed' ? 'failed' : 'stale'} block`} title={t.goldRebuild.missing.join(', ')}>
                          {goldRebuildText(t.goldRebuild)}
                        </span>
                      ) : null}
                    </td>
                    <td title={t.rollups.stale.join(', ') || undefined}>
                      {t.rollups.state === 'none' ? '—' : <span className={`badge badge-${t.rollups.state}`}>{rollupsText(t.rollups)}</span>}
                    </td>
                    <td className="num">{formatBytes(t.storageBytes, locale)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {page && page.items.length > 0 ? <p className="hint">{DATA_ROWS_HINT}</p> : null}
        <div className="table-footer">
          <div className="pager">
            <button type="button" className="button small" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
              Previous
            </button>
            <button
              type="button"
              className="button small"
              disabled={!page?.hasNextPage}
              onClick={() => page?.endCursor && setCursors((c) => [...c, page.endCursor!])}
            >
              Next
            </button>
          </div>
        </div>
      </section>
    </>
  );
}
