'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import { runOperation } from '@/app/_client/graphql-client';
import { useTenantLocale } from '@/app/_client/locale-context';
import { OlderPageButton } from './older-page-button';
import { OpsTenantAuditQuery } from './ops.operations';
import { formatCount, formatWhen, OPS_REFRESH_MS } from './ops-format.util';

const AUDIT_PAGE = 10;

/**
 * A tenant's audit log for Kineo ops, newest first: who suspended it and why, what offboarding
 * counted before it removed the data, every change of plan or setting. A page at a time along the
 * gateway's cursor.
 */
export function AuditLog({ slug }: { slug: string }) {
  const locale = useTenantLocale();
  const audit = useInfiniteQuery({
    // Under the tenant's key, so what refreshes the page after an action (suspend, resume…) refreshes this too.
    queryKey: ['ops-tenant', slug, 'audit'],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => runOperation(OpsTenantAuditQuery, { slug, auditFirst: AUDIT_PAGE, auditAfter: pageParam }),
    getNextPageParam: (last) => (last.tenant.audit.hasNextPage ? last.tenant.audit.endCursor : undefined),
    // The worker writes events too (a load, an offboarding's evidence): followed as the runs are.
    refetchInterval: OPS_REFRESH_MS,
  });
  const events = audit.data?.pages.flatMap((p) => p.tenant.audit.items) ?? [];

  return (
    <section className="tile" aria-labelledby="tenant-audit">
      <h2 id="tenant-audit">Audit log</h2>
      {audit.error ? (
        <p className="notice error" role="alert">
          {audit.error.message}
        </p>
      ) : audit.data && events.length === 0 ? (
        <p className="empty-state" role="status">
          Nothing recorded yet.
        </p>
      ) : (
        // Focusable: an offboarding's details are wider than a tablet, and keyboard users must be able to scroll them.
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Audit events">
          <table className="data-table" data-testid="audit">
            <caption className="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Who</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody aria-busy={audit.isPending || undefined}>
              {events.map((event) => (
                <tr key={event.id}>
                  <th scope="row">{formatWhen(event.createdAt, locale)}</th>
                  <td>{event.action}</td>
                  <td>{actorText(event.actor, event.actorEmail)}</td>
                  <td>
                    <AuditDetails details={event.details} locale={locale} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <OlderPageButton list={audit} label="Older events" />
    </section>
  );
}

/** A person by e-mail ("the worker for ops@…" when the worker acted on their request), else the system actor as recorded. */
function actorText(actor: string, email: string | null): string {
  if (!email) return actor;
  const system = actor.includes(':') ? actor.slice(0, actor.indexOf(':')) : null;
  return system ? `${system} for ${email}` : email;
}

type TableCount = { layer?: string; table?: string; rows?: number };
const isTableCounts = (value: unknown): value is TableCount[] =>
  Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'object' && v !== null && 'table' in v && 'rows' in v);

/** An event's details as "key: value" lines; an offboarding's table counts summed, each table listed on request. */
function AuditDetails({ details, locale }: { details: string; locale: string }) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(details);
  } catch {
    return <span>{details}</span>;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return <span>{details}</span>;
  const entries = Object.entries(parsed as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined && v !== '');
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <dl className="audit-details">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}:</dt>{' '}
          <dd>
            {isTableCounts(value) ? (
              <details>
                <summary>
                  {formatCount(value.length, locale)} tables, {formatCount(value.reduce((n, t) => n + Number(t.rows ?? 0), 0), locale)} rows
                </summary>
                <ul>
                  {value.map((t) => (
                    <li key={`${t.layer ?? ''}.${t.table}`}>
                      {t.layer ? `${t.layer}.` : ''}
                      {t.table}: {formatCount(Number(t.rows ?? 0), locale)}
                    </li>
                  ))}
                </ul>
              </details>
            ) : typeof value === 'object' ? (
              JSON.stringify(value)
            ) : (
              String(value as string | number | boolean)
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}
