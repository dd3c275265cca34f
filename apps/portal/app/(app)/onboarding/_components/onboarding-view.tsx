'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { runOperation } from '@/app/_client/graphql-client';
import { FiscalYearStep } from './fiscal-year-step';
import { InviteManagersStep } from './invite-managers-step';
import { isSettled, LoadReport } from './load-report';
import { LoadQuery, RecentLoadsQuery, TenantSettingsQuery } from './onboarding.operations';
import { OtherLoads } from './other-loads';
import { UploadStep } from './upload-step';

const POLL_MS = 1500;

/** The org admin's first run, in order: upload, read the report, set the fiscal year, invite managers. */
export function OnboardingView() {
  const client = useQueryClient();
  const [loadId, setLoadId] = useState<string | null>(null);
  // Coming back to the page shows the last load's report; the others are listed under it.
  const recent = useQuery({ queryKey: ['loads', 'recent'], queryFn: () => runOperation(RecentLoadsQuery) });
  const recentLoads = recent.data?.loads.items ?? [];
  const shownId = loadId ?? recentLoads.at(0)?.id ?? null;
  const load = useQuery({
    queryKey: ['load', shownId],
    queryFn: () => runOperation(LoadQuery, { id: shownId! }),
    enabled: shownId !== null,
    staleTime: 0,
    // Live until the build has published or failed.
    refetchInterval: (query) => (query.state.data && isSettled(query.state.data.load) ? false : POLL_MS),
  });
  const shown = load.data?.load;
  // Data is published once any build has published (a later load that failed leaves it as it was).
  // Read again while the load builds, so the version it publishes is the one said.
  const settings = useQuery({
    queryKey: ['tenantSettings'],
    queryFn: () => runOperation(TenantSettingsQuery),
    refetchInterval: shown && !isSettled(shown) ? POLL_MS : false,
  });
  // Once more when the build has ended, which the last poll may have come just before.
  const buildEnded = shown?.build?.status === 'succeeded' || shown?.build?.status === 'failed';
  useEffect(() => {
    if (!buildEnded) return;
    void client.invalidateQueries({ queryKey: ['tenantSettings'] });
    void client.invalidateQueries({ queryKey: ['loads', 'recent'] });
  }, [buildEnded, client]);
  const published =
    (settings.data?.tenantSettings.dataVersion ?? 0) > 0 || recentLoads.some((l) => l.build?.status === 'succeeded') || shown?.build?.status === 'succeeded';
  const otherLoads = recentLoads.filter((l) => l.id !== shownId);

  return (
    <div className="steps">
      <UploadStep
        onUploaded={(receipt) => {
          setLoadId(receipt.ingestionRunId);
          void client.invalidateQueries({ queryKey: ['loads', 'recent'] });
        }}
      />
      {recent.error || load.error ? (
        <p className="notice error" role="alert">
          {(recent.error ?? load.error)!.message}
        </p>
      ) : null}
      {shown ? (
        <LoadReport load={shown} currentVersion={settings.data?.tenantSettings.dataVersion} />
      ) : shownId ? (
        <p className="muted" role="status">
          Reading the load…
        </p>
      ) : null}
      {otherLoads.length > 0 ? <OtherLoads loads={otherLoads} onShow={setLoadId} /> : null}
      <FiscalYearStep />
      <InviteManagersStep published={published} />
    </div>
  );
}
