'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { OperationError, runOperation } from '@/app/_client/graphql-client';
import { useSingleFlightMutation } from '@/app/_client/single-flight';
import type { OnboardingSettingsQuery } from '@/generated/browser/graphql';
import { useLocale } from '../../dashboards/_components/use-locale';
import { BuildStages, stillShown } from './load-report';
import { RebuildMutation, TenantSettingsQuery, UpdateFiscalYearStartMutation } from './onboarding.operations';

/** How often the settings are read again while a rebuild is queued or running, to show it stage by stage. */
const POLL_MS = 1500;
const inFlight = (status: string | undefined) => status === 'queued' || status === 'running';

/**
 * Step 3: the month the fiscal year starts; a rebuild applies it to the published data. Once data
 * is published, a change renumbers the fiscal years the history was kept under, and the next build
 * rebuilds that history from completion dates: the org admin is told so and confirms first. The
 * gateway refuses such a change unconfirmed (CONFIRMATION_REQUIRED), which is also how the step
 * learns that data was published after it read the settings: it then asks, as it would have.
 * Each change names the month it is confirmed from: one changed meanwhile (another tab, another
 * admin) is refused (CHANGED_MEANWHILE), and the step reads the settings again to show the month it is.
 */
export function FiscalYearStep() {
  const locale = useLocale();
  const client = useQueryClient();
  const settings = useQuery({
    queryKey: ['tenantSettings'],
    queryFn: () => runOperation(TenantSettingsQuery),
    refetchInterval: (query) => (inFlight(query.state.data?.tenantSettings.lastRebuild?.status) ? POLL_MS : false),
  });
  const [month, setMonth] = useState<number | null>(null);
  const [confirming, setConfirming] = useState(false);
  const selectId = useId();
  const warningId = useId();
  const save = useMutation({
    mutationFn: (change: { month: number; confirmHistoryReset: boolean; fromMonth: number }) => runOperation(UpdateFiscalYearStartMutation, change),
    onSuccess: () => {
      setConfirming(false);
      return client.invalidateQueries({ queryKey: ['tenantSettings'] });
    },
    onError: (error) => {
      if (changedMeanwhile(error)) {
        // The message says what the month is now; the form shows it, to be chosen from again.
        setConfirming(false);
        setMonth(null);
      } else if (needsConfirmation(error)) setConfirming(true);
      else return;
      return client.invalidateQueries({ queryKey: ['tenantSettings'] });
    },
  });
  // The settings name the rebuild just queued as the latest, and are followed from there. One at a
  // time: while a rebuild (or a load's build) that builds the fiscal year as it is now is under way,
  // the gateway answers with it instead, also to another tab; while one that started before the
  // change runs, it queues a rebuild to run after it (`follows`). Either is said here.
  const rebuild = useSingleFlightMutation({ mutationFn: () => runOperation(RebuildMutation), onSuccess: () => client.invalidateQueries({ queryKey: ['tenantSettings'] }) });
  const answer = rebuild.data?.rebuild ?? null;
  const underWay = answer?.alreadyUnderWay && !answer.follows ? answer : null;
  const following = answer?.follows ? { ...answer, follows: answer.follows } : null;
  const lastRebuild = settings.data?.tenantSettings.lastRebuild ?? null;
  const rebuildUnavailable = settings.data?.tenantSettings.rebuildUnavailable ?? null;
  const current = settings.data?.tenantSettings.fiscalYearStartMonth;
  const chosen = month ?? current ?? 1;
  const published = (settings.data?.tenantSettings.dataVersion ?? 0) > 0;
  // The refusal of an unconfirmed change is answered by the confirmation above, not shown as an error.
  const saveError = save.error && !needsConfirmation(save.error) ? save.error : null;
  const monthName = (m: number) => monthNameIn(m, locale);

  return (
    <section className="card step" aria-labelledby="step-fiscal">
      <h2 id="step-fiscal">3. Fiscal year</h2>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          // Only "Change to <month>" confirms: submitting the form (Enter) never does.
          if (published) setConfirming(true);
          else if (current !== undefined) save.mutate({ month: chosen, confirmHistoryReset: false, fromMonth: current });
        }}
      >
        <label htmlFor={selectId}>The fiscal year starts in</label>
        <select
          id={selectId}
          value={chosen}
          onChange={(event) => {
            setMonth(Number(event.target.value));
            setConfirming(false);
            // A refusal was about the month chosen before (one changed meanwhile, say): not this one.
            if (save.error) save.reset();
          }}
          disabled={!settings.data}
          aria-describedby={published ? warningId : undefined}
        >
          {Array.from({ length: 12 }, (_, i) => i + 1).map((m) => (
            <option key={m} value={m}>
              {monthName(m)}
            </option>
          ))}
        </select>
        {confirming ? null : (
          <button type="submit" className="button" disabled={save.isPending || chosen === current}>
            Save
          </button>
        )}
      </form>
      {published ? (
        <p id={warningId} className="muted">
          Your organisation already has published fiscal-year history. A new start month renumbers the fiscal years, so the next build
          rebuilds that history from completion dates: every closed fiscal year then shows completions only, without completion or overdue
          rates, and the current year is followed from that build on. What was recorded before is archived, not deleted.
        </p>
      ) : null}
      {confirming && current !== undefined ? (
        <div className="notice" role="alert">
          <p>
            Change the fiscal year start from {monthName(current)} to {monthName(chosen)}? The fiscal-year history is rebuilt from completion
            dates at the next build.
          </p>
          <button type="button" className="button danger" onClick={() => save.mutate({ month: chosen, confirmHistoryReset: true, fromMonth: current })} disabled={save.isPending}>
            Change to {monthName(chosen)}
          </button>{' '}
          <button type="button" className="button" onClick={() => setConfirming(false)} disabled={save.isPending}>
            Keep {monthName(current)}
          </button>
        </div>
      ) : null}
      {settings.error || saveError || rebuild.error ? (
        <p className="notice error" role="alert">
          {(settings.error ?? saveError ?? rebuild.error)!.message}
        </p>
      ) : null}
      {save.isSuccess ? (
        <p className="notice" role="status">
          Saved: the fiscal year starts in {monthName(save.data.updateFiscalYearStart.fiscalYearStartMonth)} from the next build.{' '}
          {/* Offered only when the gateway would take it; otherwise why not (nothing loaded yet: the first load builds with the new month). */}
          {rebuildUnavailable ? (
            <span data-testid="rebuild-unavailable">{rebuildUnavailable}</span>
          ) : (
            // Once answered, not offered again: the build named builds the month saved, or a rebuild queued after it does.
            <button type="button" className="button" onClick={() => rebuild.mutate()} disabled={rebuild.isPending || rebuild.isSuccess || inFlight(lastRebuild?.status)}>
              Rebuild now
            </button>
          )}
        </p>
      ) : null}
      {underWay ? (
        <p className="notice" role="status" data-testid="rebuild-under-way">
          {underWay.kind === 'load'
            ? `A load's build with the year starting in ${monthName(underWay.fiscalYearStartMonth)} is already under way (queued at ${formatTime(underWay.queuedAt, locale)}), so no rebuild was queued: it publishes the next version, and its progress is in the load report above.`
            : `A rebuild with the year starting in ${monthName(underWay.fiscalYearStartMonth)} is already under way (queued at ${formatTime(underWay.queuedAt, locale)}); its progress is below.`}
        </p>
      ) : null}
      {following ? (
        <p className="notice" role="status" data-testid="rebuild-follows">
          {`A ${following.follows.kind === 'load' ? "load's build" : 'build'} that started before the fiscal year was changed is under way; a rebuild with the year starting in ${monthName(following.fiscalYearStartMonth)} is queued to run after it (queued at ${formatTime(following.queuedAt, locale)}).`}
        </p>
      ) : null}
      {lastRebuild ? <RebuildProgress rebuild={lastRebuild} currentVersion={settings.data?.tenantSettings.dataVersion} locale={locale} /> : null}
    </section>
  );
}

function monthNameIn(m: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, m - 1, 1)));
}

function formatTime(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

type Rebuild = NonNullable<OnboardingSettingsQuery['tenantSettings']['lastRebuild']>;

/** The latest rebuild as it goes: its stages, then the version it published or why it failed (also after a reload). */
function RebuildProgress({ rebuild, currentVersion, locale }: { rebuild: Rebuild; currentVersion: number | undefined; locale: string }) {
  const asked = formatTime(rebuild.createdAt, locale);
  return (
    <div data-testid="rebuild">
      <h3>Rebuild of {asked}</h3>
      <p>
        <progress max={1} value={rebuild.progress} aria-label="Rebuild progress" /> <span role="status">{rebuildSummary(rebuild, currentVersion)}</span>
      </p>
      {rebuild.fiscalYearStartMonth ? <p className="muted">Built with the fiscal year starting in {monthNameIn(rebuild.fiscalYearStartMonth, locale)}.</p> : null}
      <BuildStages build={rebuild} />
    </div>
  );
}

function rebuildSummary(rebuild: Rebuild, currentVersion: number | undefined): string {
  switch (rebuild.status) {
    case 'queued':
      return rebuild.followsBuildRunId ? 'Rebuild queued: it runs once the build under way has finished…' : 'Rebuild queued: waiting for the builder…';
    case 'running':
      return `Rebuilding: ${Math.round(rebuild.progress * 100)}% done.`;
    case 'succeeded':
      return rebuild.dataVersion === currentVersion
        ? `Published: the dashboards show data version ${rebuild.dataVersion}, with the new fiscal years.`
        : `Published data version ${rebuild.dataVersion}; the dashboards now show version ${currentVersion}, from a later build.`;
    default:
      return `The rebuild failed${rebuild.error ? `: ${rebuild.error}` : ''}. ${stillShown(currentVersion)}`;
  }
}

function needsConfirmation(error: Error): boolean {
  return error instanceof OperationError && error.code === 'CONFIRMATION_REQUIRED';
}

function changedMeanwhile(error: Error): boolean {
  return error instanceof OperationError && error.code === 'CHANGED_MEANWHILE';
}
