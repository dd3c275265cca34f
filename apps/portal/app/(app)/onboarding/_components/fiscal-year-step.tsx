'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { runOperation } from '@/app/_client/graphql-client';
import { useLocale } from '../../dashboards/_components/use-locale';
import { RebuildMutation, TenantSettingsQuery, UpdateFiscalYearStartMutation } from './onboarding.operations';

/** Step 3: the month the fiscal year starts; a rebuild applies it to the published data. */
export function FiscalYearStep() {
  const locale = useLocale();
  const client = useQueryClient();
  const settings = useQuery({ queryKey: ['tenantSettings'], queryFn: () => runOperation(TenantSettingsQuery) });
  const [month, setMonth] = useState<number | null>(null);
  const selectId = useId();
  const save = useMutation({
    mutationFn: (m: number) => runOperation(UpdateFiscalYearStartMutation, { month: m }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['tenantSettings'] }),
  });
  const rebuild = useMutation({ mutationFn: () => runOperation(RebuildMutation) });
  const current = settings.data?.tenantSettings.fiscalYearStartMonth;
  const chosen = month ?? current ?? 1;
  const monthName = (m: number) => new Intl.DateTimeFormat(locale, { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, m - 1, 1)));

  return (
    <section className="card step" aria-labelledby="step-fiscal">
      <h2 id="step-fiscal">3. Fiscal year</h2>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate(chosen);
        }}
      >
        <label htmlFor={selectId}>The fiscal year starts in</label>
        <select id={selectId} value={chosen} onChange={(event) => setMonth(Number(event.target.value))} disabled={!settings.data}>
          {Array.from({ length: 12 }, (_, i) => i + 1).map((m) => (
            <option key={m} value={m}>
              {monthName(m)}
            </option>
          ))}
        </select>
        <button type="submit" className="button" disabled={save.isPending || chosen === current}>
          Save
        </button>
      </form>
      {settings.error || save.error || rebuild.error ? (
        <p className="notice error" role="alert">
          {(settings.error ?? save.error ?? rebuild.error)!.message}
        </p>
      ) : null}
      {save.isSuccess ? (
        <p className="notice" role="status">
          Saved: the fiscal year starts in {monthName(save.data.updateFiscalYearStart.fiscalYearStartMonth)} from the next build.{' '}
          <button type="button" className="button" onClick={() => rebuild.mutate()} disabled={rebuild.isPending || rebuild.isSuccess}>
            Rebuild now
          </button>
        </p>
      ) : null}
      {rebuild.isSuccess ? (
        <p className="notice" role="status">
          Rebuild queued: the dashboards show the new fiscal years once it publishes.
        </p>
      ) : null}
    </section>
  );
}
