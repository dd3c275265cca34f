'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import { runOperation } from '@/app/_client/graphql-client';
import type { BuildRunFieldsFragment, LoadFieldsFragment } from '@/generated/browser/graphql';
import { useLocale } from '../../dashboards/_components/use-locale';
import { QuarantineQuery } from './onboarding.operations';
import { StageWarnings } from './stage-warnings';

const STAGE_LABELS: Record<string, string> = {
  ingest: 'Read and check the files',
  silver: 'Clean and conform',
  hierarchy: 'Build the manager hierarchy',
  gold: 'Build the reporting tables',
  snapshots: 'Take the snapshots',
  publish: 'Publish to the dashboards',
};

const FILE_STATUS: Record<string, string> = {
  loaded: 'Loaded',
  duplicate: 'Already loaded before (same content)',
  ignored: 'Ignored',
};

/** When a load was asked for, as its report and the list of recent loads name it. */
export function loadWhen(load: LoadFieldsFragment, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(load.createdAt));
}

/** Whether the load and its build have nothing more to do. */
export function isSettled(load: LoadFieldsFragment): boolean {
  const done = (status: string | undefined) => status === 'succeeded' || status === 'failed' || status === 'cancelled';
  return load.status === 'failed' || load.status === 'cancelled' || (done(load.status) && (!load.build || done(load.build.status)));
}

/**
 * Step 2: what became of each file's rows, the rows set aside and why, and the build as it goes.
 * `currentVersion`: the data version the dashboards show now (an earlier load's after a failure, a
 * later rebuild's after this load published).
 */
export function LoadReport({ load, currentVersion }: { load: LoadFieldsFragment; currentVersion: number | undefined }) {
  const locale = useLocale();
  const n = (value: number | null | undefined) => (value === null || value === undefined ? '—' : new Intl.NumberFormat(locale).format(value));
  const build = load.build;
  return (
    <section className="card step" aria-labelledby="step-report" data-testid="load-report">
      <h2 id="step-report">2. Validation report</h2>
      <p className="muted">
        Load of {loadWhen(load, locale)}: {n(load.rowsRead)} rows read,{' '}
        {n(load.rowsLoaded)} loaded, {n(load.rowsQuarantined)} quarantined.
      </p>
      {load.error ? (
        // Said once, here, its lines as written (a refusal lists each file's problem and its expected columns).
        <p className="notice error load-error" role="alert">
          {refusalText(load.error)}
        </p>
      ) : null}
      <div className="table-wrap">
        <table className="data-table">
          <caption className="visually-hidden">Rows of each file</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Status</th>
              <th scope="col">Read</th>
              <th scope="col">Loaded</th>
              <th scope="col">Quarantined</th>
            </tr>
          </thead>
          <tbody>
            {load.files.map((f) => (
              <tr key={f.file} data-file={f.file}>
                <th scope="row">{f.file}</th>
                <td>
                  {f.status ? (FILE_STATUS[f.status] ?? f.status) : load.status === 'failed' ? 'Not loaded' : 'Waiting to be read'}
                  {/* Why it was ignored ("only dimdates may be an Excel file: save users as CSV"), or what it repeats. */}
                  {f.note ? <span className="file-note">: {f.note}</span> : null}
                </td>
                <td>{n(f.rowsRead)}</td>
                <td>{n(f.rowsLoaded)}</td>
                <td className={f.rowsQuarantined ? 'error-text' : undefined}>{n(f.rowsQuarantined)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {load.rowsQuarantined > 0 ? (
        isSettled(load) ? (
          <QuarantinedRows loadId={load.id} />
        ) : (
          <p className="hint">The quarantined rows and their reasons are listed here once the build has finished: the builder has the data to itself until then.</p>
        )
      ) : null}
      <h3>Build</h3>
      {build ? (
        <div data-testid="build">
          <p>
            <progress max={1} value={build.progress} aria-label="Build progress" /> <span role="status">{buildSummary(build, n, currentVersion, Boolean(load.error))}</span>
          </p>
          <BuildStages build={build} saidAbove={load.error} />
        </div>
      ) : (
        <p className="muted">The build starts once the files are read.</p>
      )}
    </section>
  );
}

/** A build's stages, each with its status and what went wrong (unless `saidAbove` already says it). */
export function BuildStages({ build, saidAbove }: { build: BuildRunFieldsFragment; saidAbove?: string | null }) {
  return (
    <ol className="stages">
      {build.stages.map((s) => (
        <li key={s.stage} data-status={s.status}>
          <span className={`stage-mark ${s.status}`} aria-hidden="true" />
          {STAGE_LABELS[s.stage] ?? s.stage}: <strong>{s.status}</strong>
          {s.error && s.error !== saidAbove ? <span className="error-text"> — {s.error}</span> : null}
          <StageWarnings stage={STAGE_LABELS[s.stage] ?? s.stage} warnings={s.warnings} />
        </li>
      ))}
    </ol>
  );
}

/** A refusal says that nothing was loaded; one that does not say it itself (a plan limit, an error) is introduced. */
function refusalText(error: string): string {
  return /^The load was (rejected|refused)/.test(error) ? error : `The load was refused, and nothing of it was loaded: ${error}`;
}

/** What the dashboards show now, after a build that published nothing. */
export function stillShown(currentVersion: number | undefined): string {
  return currentVersion ? `The dashboards still show data version ${currentVersion}.` : 'Nothing is published yet: the dashboards fill once a load builds.';
}

function buildSummary(build: BuildRunFieldsFragment, n: (v: number | null | undefined) => string, currentVersion: number | undefined, refused: boolean): string {
  const left = stillShown(currentVersion);
  switch (build.status) {
    case 'succeeded':
      // A later build (a rebuild after a new fiscal year) may have published over it.
      if (build.dataVersion !== null && currentVersion !== undefined && currentVersion > build.dataVersion) {
        return `Published data version ${n(build.dataVersion)} (${build.checksPassed} checks passed); the dashboards now show version ${n(currentVersion)}, from a later build.`;
      }
      return `Published: the dashboards show data version ${n(build.dataVersion)} (${build.checksPassed} checks passed).`;
    case 'failed':
      // A refused load's reason is said above, once.
      if (refused) return `Not built: the load was refused. ${left}`;
      return `The build failed${build.error ? `: ${build.error}` : ''}. ${left}`;
    case 'queued':
      return 'Waiting for the builder…';
    default:
      return `Building: ${Math.round(build.progress * 100)}% done.`;
  }
}

function QuarantinedRows({ loadId }: { loadId: string }) {
  const rows = useInfiniteQuery({
    queryKey: ['quarantine', loadId],
    queryFn: ({ pageParam }) => runOperation(QuarantineQuery, { loadId, after: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => (last.quarantine.hasNextPage ? last.quarantine.endCursor : undefined),
  });
  const items = rows.data?.pages.flatMap((p) => p.quarantine.items) ?? [];
  return (
    <div className="quarantine">
      <h3>Quarantined rows</h3>
      <p className="hint">
        These rows were set aside, not loaded. Fix them in the LMS or the export and load the file again.{' '}
        <a href={`/api/loads/${encodeURIComponent(loadId)}/quarantine`} download>
          Download all quarantined rows (CSV)
        </a>
      </p>
      {rows.error ? (
        <p className="notice error" role="alert">
          {rows.error.message}
        </p>
      ) : null}
      {/* Focusable: its raw rows are wider than a tablet, and keyboard users must be able to scroll them. */}
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Quarantined rows">
        <table className="data-table" data-testid="quarantine">
          <caption className="visually-hidden">Quarantined rows with their reasons</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Line</th>
              <th scope="col">Reason</th>
              <th scope="col">Fields as read</th>
            </tr>
          </thead>
          <tbody aria-busy={rows.isPending || undefined}>
            {items.map((r) => (
              <tr key={`${r.file}:${r.line}`}>
                <th scope="row">{r.file}</th>
                <td>{r.line}</td>
                <td>{r.reason}</td>
                <td>
                  <code className="raw">{r.raw}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.hasNextPage ? (
        <button type="button" className="button" onClick={() => void rows.fetchNextPage()} disabled={rows.isFetchingNextPage}>
          Show more
        </button>
      ) : null}
    </div>
  );
}
