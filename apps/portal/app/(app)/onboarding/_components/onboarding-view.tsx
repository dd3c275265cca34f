'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { runOperation } from '@/app/_client/graphql-client';
import { FiscalYearStep } from './fiscal-year-step';
import { InviteManagersStep } from './invite-managers-step';
import { isSettled, LoadReport } from './load-report';
import { LatestLoadQuery, LoadQuery, TenantSettingsQuery } from './onboarding.operations';
import { UploadStep } from './upload-step';

const POLL_MS = 1500;

/** The org admin's first run, in order: upload, read the report, set the fiscal year, invite managers. */
export function OnboardingView() {
  const [loadId, setLoadId] = useState<string | null>(null);
  // Coming back to the page shows the last load's report.
  const latest = useQuery({ queryKey: ['loads', 'latest'], queryFn: () => runOperation(LatestLoadQuery), enabled: loadId === null });
  const shownId = loadId ?? latest.data?.loads.items[0]?.id ?? null;
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
  const client = useQueryClient();
  const buildEnded = shown?.build?.status === 'succeeded' || shown?.build?.status === 'failed';
  useEffect(() => {
    if (buildEnded) void client.invalidateQueries({ queryKey: ['tenantSettings'] });
  }, [buildEnded, client]);
  const published =
    (settings.data?.tenantSettings.dataVersion ?? 0) > 0 || latest.data?.loads.items[0]?.build?.status === 'succeeded' || shown?.build?.status === 'succeeded';

  return (
    <div className="steps">
      <UploadStep onUploaded={(receipt) => setLoadId(receipt.ingestionRunId)} />
      {latest.error || load.error ? (
        <p className="notice error" role="alert">
          {(latest.error ?? load.error)!.message}
        </p>
      ) : null}
      {shown ? (
        <LoadReport load={shown} currentVersion={settings.data?.tenantSettings.dataVersion} />
      ) : shownId ? (
        <p className="muted" role="status">
          Reading the load…
        </p>
      ) : null}
      <FiscalYearStep />
      <InviteManagersStep published={published} />
    </div>
  );
}
