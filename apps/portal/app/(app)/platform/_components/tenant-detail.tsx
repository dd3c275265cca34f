'use client';

import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { runOperation } from '@/app/_client/graphql-client';
import { InvitationSent } from '@/app/_client/invitation-sent';
import { useSingleFlightMutation } from '@/app/_client/single-flight';
import { useTenantLocale } from '@/app/_client/locale-context';
import { ChangePlanMutation, InviteTenantAdminMutation, OffboardTenantMutation, OpsTenantQuery, RefreshRollupsMutation, ResumeTenantMutation, SetTenantLocaleMutation, SuspendTenantMutation } from './ops.operations';
import { formatBytes } from '@/app/_shared/format-bytes.util';
import { AuditLog } from './audit-log';
import { OlderPageButton } from './older-page-button';
import { checksText, DATA_ROWS_HINT, formatCount, formatWhen, goldRebuildDetail, LOCALES, MONTHS, offboardedVersionText, OPS_REFRESH_MS, PLANS, publishedByText } from './ops-format.util';
import { StageWarnings } from '../../onboarding/_components/stage-warnings';
import { StatusBadge } from './status-badge';

const RUNS_PAGE = 10;
/** How often the page asks again while a run is queued or running, so its progress shows stage by stage. */
const POLL_MS = 1500;
const inFlight = (status: string) => status === 'queued' || status === 'running';

/**
 * One tenant for Kineo ops: what it is, its runs newest first (a page at a time along the gateway's
 * cursor, followed while one is in flight), and what ops may do to it: suspend or resume, refresh
 * its stale rollups, change its plan or locale, offboard it after typing its slug. Each action is
 * sent once however fast its button is clicked again (`useSingleFlightMutation`): a double-click on
 * Resume or Offboard is one request.
 */
export function TenantDetail({ slug }: { slug: string }) {
  const locale = useTenantLocale();
  const queryClient = useQueryClient();
  const detail = useInfiniteQuery({
    queryKey: ['ops-tenant', slug],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => runOperation(OpsTenantQuery, { slug, runsFirst: RUNS_PAGE, runsAfter: pageParam }),
    getNextPageParam: (last) => (last.tenant.runs.hasNextPage ? last.tenant.runs.endCursor : undefined),
    // Never off: a load or a build may start at any time (an upload, the landing scan, the CLI).
    refetchInterval: (query) => (query.state.data?.pages.some((p) => p.tenant.runs.items.some((r) => inFlight(r.status))) ? POLL_MS : OPS_REFRESH_MS),
  });
  const refresh = () => Promise.all([queryClient.invalidateQueries({ queryKey: ['ops-tenant', slug] }), queryClient.invalidateQueries({ queryKey: ['fleet'] })]);
  // Suspending refuses every one of the organisation's people at once: asked twice, with a reason for the audit log.
  const [confirmingSuspend, setConfirmingSuspend] = useState(false);
  const [suspendReason, setSuspendReason] = useState('');
  const suspend = useSingleFlightMutation({
    mutationFn: () => runOperation(SuspendTenantMutation, { slug, reason: suspendReason.trim() || null }),
    onSuccess: () => {
      setConfirmingSuspend(false);
      setSuspendReason('');
      return refresh();
    },
  });
  const resume = useSingleFlightMutation({ mutationFn: () => runOperation(ResumeTenantMutation, { slug }), onSuccess: refresh });
  const refreshRollups = useSingleFlightMutation({ mutationFn: () => runOperation(RefreshRollupsMutation, { slug }), onSuccess: refresh });

  const tenant = detail.data?.pages[0]?.tenant;
  const runs = detail.data?.pages.flatMap((p) => p.tenant.runs.items) ?? [];
  const lifecycleError = suspend.error ?? resume.error ?? refreshRollups.error;
  const refreshing = runs.some((r) => r.kind === 'rollups' && inFlight(r.status));

  return (
    <>
      <p>
        <Link href="/platform">← All tenants</Link>
      </p>
      <div className="dashboard-head">
        <div>
          <h1>{tenant?.name ?? slug}</h1>
          <p className="lede">{tenant ? `${tenant.slug} · ${tenant.namespace}` : 'Loading…'}</p>
        </div>
        {tenant ? <StatusBadge status={tenant.status} /> : null}
      </div>
      {detail.error ? (
        <p className="notice error" role="alert">
          {detail.error.message}
        </p>
      ) : null}
      {tenant ? (
        <>
          <section className="tile" aria-labelledby="tenant-facts">
            <h2 id="tenant-facts">Overview</h2>
            <dl className="facts">
              <dt>Plan</dt>
              <dd>{tenant.plan ? `${tenant.plan.name} (${formatCount(tenant.plan.seatLimit, locale)} seats, ${formatCount(tenant.plan.rowLimit, locale)} rows a load)` : '—'}</dd>
              <dt>Data version</dt>
              <dd data-testid="data-version">
                {tenant.status === 'offboarded'
                  ? `Removed at offboarding (${offboardedVersionText(tenant.dataVersion)}; the audit log has each table's rows as they were)`
                  : tenant.publishedBy
                    ? `${tenant.dataVersion}, published ${publishedByText(tenant.publishedBy, locale)}`
                    : tenant.dataVersion}
              </dd>
              <dt>Rollups</dt>
              <dd data-testid="rollups">{rollupsDetail(tenant.rollups)}</dd>
              {tenant.goldRebuild ? (
                <>
                  <dt>Gold rebuild</dt>
                  <dd data-testid="gold-rebuild">{goldRebuildDetail(tenant.goldRebuild)}</dd>
                </>
              ) : null}
              <dt>Data rows</dt>
              <dd aria-describedby="data-rows-hint">{formatCount(tenant.rows, locale)}</dd>
              <dt>Storage</dt>
              <dd>{formatBytes(tenant.storageBytes, locale)}</dd>
              <dt>Fiscal year starts</dt>
              <dd>{MONTHS[tenant.fiscalYearStartMonth - 1]}</dd>
              <dt>Locale</dt>
              <dd>{tenant.locale}</dd>
              <dt>Created</dt>
              <dd>{formatWhen(tenant.createdAt, locale)}</dd>
            </dl>
            <p id="data-rows-hint" className="hint">
              {DATA_ROWS_HINT}
            </p>
          </section>

          <section className="tile" aria-labelledby="tenant-actions">
            <h2 id="tenant-actions">Actions</h2>
            <div className="actions-row">
              {tenant.status === 'active' && !confirmingSuspend ? (
                <button type="button" className="button" onClick={() => setConfirmingSuspend(true)}>
                  Suspend
                </button>
              ) : null}
              {tenant.status === 'suspended' ? (
                <button type="button" className="button" onClick={() => resume.mutate()} disabled={resume.isPending}>
                  {resume.isPending ? 'Resuming…' : 'Resume'}
                </button>
              ) : null}
              {tenant.status === 'active' && tenant.dataVersion > 0 ? (
                <button
                  type="button"
                  className="button"
                  onClick={() => refreshRollups.mutate()}
                  disabled={refreshRollups.isPending || refreshing}
                  aria-describedby="refresh-rollups-hint"
                >
                  {refreshRollups.isPending ? 'Queuing…' : refreshing ? 'Refreshing rollups…' : 'Refresh rollups'}
                </button>
              ) : null}
            </div>
            {tenant.status === 'active' && confirmingSuspend ? (
              <form
                className="boxed-form"
                aria-label={`Suspend ${tenant.name}`}
                onSubmit={(event) => {
                  event.preventDefault();
                  suspend.mutate();
                }}
              >
                <p>
                  Suspending refuses every request of {tenant.name}&rsquo;s people at once: they cannot sign in, see the dashboards or load data until it is
                  resumed. Their sessions are not ended and work again on resume (unless expired by then). Their data is kept.
                </p>
                <label htmlFor="suspend-reason">Reason (kept in the audit log; optional)</label>
                <input id="suspend-reason" type="text" value={suspendReason} maxLength={500} onChange={(e) => setSuspendReason(e.target.value)} />
                <div className="actions-row">
                  <button type="submit" className="button danger" disabled={suspend.isPending}>
                    {suspend.isPending ? 'Suspending…' : `Suspend ${tenant.name}`}
                  </button>
                  <button type="button" className="button" onClick={() => setConfirmingSuspend(false)} disabled={suspend.isPending}>
                    Cancel
                  </button>
                </div>
              </form>
            ) : null}
            {tenant.status === 'active' && tenant.dataVersion > 0 ? (
              <p id="refresh-rollups-hint" className="hint">
                Refresh rollups builds the stale ones on the published data and publishes them as the next data version; with none stale it publishes nothing.
              </p>
            ) : null}
            {refreshRollups.data ? (
              <p className="notice" role="status">
                Rollups refresh queued; follow it under Runs.
              </p>
            ) : null}
            {lifecycleError ? (
              <p className="notice error" role="alert">
                {lifecycleError.message}
              </p>
            ) : null}
            {tenant.status !== 'offboarded' ? (
              <>
                <ChoiceForm
                  id="tenant-plan"
                  label="Plan"
                  action="Change plan"
                  current={tenant.plan?.code ?? ''}
                  options={PLANS.map((p) => ({ value: p.code, label: p.label }))}
                  change={(plan) => runOperation(ChangePlanMutation, { slug, plan })}
                  onChanged={refresh}
                />
                <ChoiceForm
                  id="tenant-locale"
                  label="Numbers and dates for this organisation"
                  action="Change locale"
                  current={tenant.locale}
                  options={LOCALES.map((l) => ({ value: l.tag, label: l.label }))}
                  change={(value) => runOperation(SetTenantLocaleMutation, { slug, locale: value })}
                  onChanged={refresh}
                />
              </>
            ) : null}
            {tenant.status !== 'active' && tenant.status !== 'provisioning' ? null : tenant.activeAdmins === 0 ? (
              <InviteAdminForm slug={slug} name={tenant.name} />
            ) : (
              // Ops give an organisation its first admin only: from then on its admins invite its people.
              <p className="hint" data-testid="admins-invite">
                {tenant.name} has {tenant.activeAdmins === 1 ? 'an organisation admin, who invites' : `${tenant.activeAdmins} organisation admins, who invite`} its people; Kineo ops invite an admin only while it has none.
              </p>
            )}
            {tenant.status !== 'offboarded' ? <OffboardForm slug={slug} onOffboarded={refresh} /> : null}
          </section>
        </>
      ) : null}

      <section className="tile" aria-labelledby="tenant-runs">
        <h2 id="tenant-runs">Runs</h2>
        {tenant && runs.length === 0 ? (
          <p className="empty-state" role="status">
            No loads or builds yet.
          </p>
        ) : (
          <div className="table-wrap">
            <table className="data-table" data-testid="runs">
              <caption className="visually-hidden">Runs, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Status</th>
                  <th scope="col">Checks</th>
                  <th scope="col" className="num">
                    Data version
                  </th>
                  <th scope="col">Finished</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((run) => (
                  <tr key={run.id}>
                    <th scope="row">{formatWhen(run.startedAt ?? run.createdAt, locale)}</th>
                    <td>{run.kind}</td>
                    <td>
                      <StatusBadge status={run.status} />
                      {run.status === 'running' ? (
                        <span className="block">
                          <progress max={1} value={run.progress} aria-label={`Progress of the ${run.kind} run`} /> {runStep(run.stages)}
                        </span>
                      ) : null}
                      {/* Its lines as written: a refused load lists each file's problem on its own line. */}
                      {run.error ? <span className="block error-text load-error">{run.error}</span> : null}
                      {run.stages.map((s) => (
                        <StageWarnings key={s.stage} stage={s.stage} warnings={s.warnings} />
                      ))}
                    </td>
                    <td>{checksText(run)}</td>
                    <td className="num">{run.dataVersion ?? '—'}</td>
                    <td>{formatWhen(run.finishedAt, locale)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <OlderPageButton list={detail} label="Older runs" />
      </section>

      {tenant ? <AuditLog slug={slug} /> : null}
    </>
  );
}

/** One setting of the tenant picked from a list (its locale, its plan), changed with one button. */
function ChoiceForm({
  id,
  label,
  action,
  current,
  options,
  change,
  onChanged,
}: {
  id: string;
  label: string;
  action: string;
  current: string;
  options: readonly { value: string; label: string }[];
  change: (value: string) => Promise<unknown>;
  onChanged: () => Promise<unknown>;
}) {
  const [value, setValue] = useState(current);
  const mutation = useSingleFlightMutation({ mutationFn: () => change(value), onSuccess: onChanged });
  // A value the list does not know (set outside the portal) is still shown as it is.
  const choices = options.some((o) => o.value === current) ? options : [{ value: current, label: current }, ...options];
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        mutation.mutate();
      }}
    >
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <select id={id} value={value} onChange={(e) => setValue(e.target.value)}>
          {choices.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="button" disabled={mutation.isPending || value === current}>
        {action}
      </button>
      {mutation.error ? (
        <span className="error-text" role="alert">
          {mutation.error.message}
        </span>
      ) : null}
    </form>
  );
}

/** Offboarding drops the tenant's warehouse data: the button stays disabled until the slug is typed exactly. */
function OffboardForm({ slug, onOffboarded }: { slug: string; onOffboarded: () => Promise<unknown> }) {
  const [confirm, setConfirm] = useState('');
  const offboard = useSingleFlightMutation({ mutationFn: () => runOperation(OffboardTenantMutation, { slug, confirm }), onSuccess: onOffboarded });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (confirm === slug) offboard.mutate();
  };
  return (
    <form className="danger-zone" onSubmit={submit} aria-labelledby="offboard-heading">
      <h3 id="offboard-heading">Offboard</h3>
      <p id="offboard-hint" className="hint">
        Removes the organisation&rsquo;s warehouse data after recording its row counts in the audit log. Type <strong>{slug}</strong> to confirm.
      </p>
      <div className="field">
        <label htmlFor="offboard-confirm">Tenant slug</label>
        <input id="offboard-confirm" value={confirm} onChange={(e) => setConfirm(e.target.value)} aria-describedby="offboard-hint" autoComplete="off" spellCheck={false} />
      </div>
      <button type="submit" className="button danger" disabled={confirm !== slug || offboard.isPending}>
        {offboard.isPending ? 'Offboarding…' : `Offboard ${slug}`}
      </button>
      {offboard.data ? (
        <p className="notice" role="status">
          Offboarding queued (job {offboard.data.offboardTenant.jobId}).
        </p>
      ) : null}
      {offboard.error ? (
        <p className="notice error" role="alert">
          {offboard.error.message}
        </p>
      ) : null}
    </form>
  );
}

function rollupsDetail(rollups: { state: string; version: number | null; stale: readonly string[]; error: string | null }): string {
  switch (rollups.state) {
    case 'current':
      return `Current in version ${rollups.version}`;
    case 'stale':
      return `${rollups.stale.length} stale in version ${rollups.version} (${rollups.stale.join(', ')}): the dashboards they serve read the facts, slower, until refreshed`;
    case 'unknown':
      return `Unknown: ${rollups.error ?? 'the manifest could not be read'}`;
    default:
      return '— (nothing published)';
  }
}

/** The stage a running run is at: the first one not finished. */
function runStep(stages: readonly { stage: string; status: string }[]): string {
  const at = stages.find((s) => s.status !== 'succeeded');
  return at ? `${at.stage}…` : '';
}

/**
 * The organisation's admin, invited by Kineo ops: a tenant provisioned here has nobody who can sign
 * in until its first admin accepts. The link is mailed when a mail server is set, and shown here
 * to pass on when not (it works once).
 */
function InviteAdminForm({ slug, name }: { slug: string; name: string }) {
  const [email, setEmail] = useState('');
  const invite = useSingleFlightMutation({ mutationFn: () => runOperation(InviteTenantAdminMutation, { slug, email: email.trim() }) });
  const sent = invite.data?.inviteTenantAdmin;
  return (
    <form
      className="boxed-form"
      aria-label={`Invite an admin of ${name}`}
      onSubmit={(event: FormEvent<HTMLFormElement>) => {
        event.preventDefault();
        invite.mutate();
      }}
    >
      <h3>Organisation admin</h3>
      <p className="hint">Invite the person who will run {name}&rsquo;s account: load its LMS export, invite its managers and people.</p>
      <label htmlFor="tenant-admin-email">Their e-mail</label>
      <input id="tenant-admin-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />
      <button type="submit" className="button" disabled={invite.isPending || email.trim() === ''}>
        {invite.isPending ? 'Inviting…' : 'Invite as organisation admin'}
      </button>
      {invite.error ? (
        <p className="notice error" role="alert">
          {invite.error.message}
        </p>
      ) : null}
      {sent ? <InvitationSent sent={sent} as={`organisation admin of ${name}`} linkTestId="admin-invitation-link" /> : null}
    </form>
  );
}
