/** Dates and counts of the ops console, in the reader's locale; nothing yet shows as a dash. */
export function formatWhen(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(date);
}

export function formatCount(n: number | null | undefined, locale: string): string {
  return n === null || n === undefined ? '—' : new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}

/** A run's checks in a few words; a run that checked nothing (a refused load, a queued build) shows a dash. */
export function checksText(run: { checksPassed: number; checksFailed: number }): string {
  return run.checksPassed + run.checksFailed === 0 ? '—' : `${run.checksPassed} passed, ${run.checksFailed} failed`;
}

const RUN_KINDS: Record<string, string> = { load: 'load build', rebuild: 'rebuild', rollups: 'rollups refresh', build: 'build' };

/** Which run published a data version, and when: "rollups refresh, 7 Dec 2026, 07:49". */
export function publishedByText(run: { kind: string; finishedAt?: string | null; createdAt: string }, locale: string): string {
  return `by ${RUN_KINDS[run.kind] ?? run.kind}, ${formatWhen(run.finishedAt ?? run.createdAt, locale)}`;
}

/** What an offboarded tenant had published, its data removed: version 0 was never a version, so it is not named as one. */
export function offboardedVersionText(dataVersion: number): string {
  return dataVersion > 0 ? `the last version was ${dataVersion}` : 'it never published data';
}

/** What the Rows of the fleet and the tenant page count. */
export const DATA_ROWS_HINT =
  "Data rows: the facts and dimensions of the published version (the calendar and the rollups are not counted, so the figure moves only with the organisation's data).";

/**
 * How often the fleet and a tenant's page ask again while the tab is visible (react-query stops
 * interval refetches in a hidden tab): loads and builds run without anyone clicking, and a few
 * seconds' lag is what ops watching a run can live with, at one small query each.
 */
export const OPS_REFRESH_MS = 5000;

export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The locales ops pick from; the gateway accepts any BCP 47 tag Intl can format for. */
export const LOCALES = [
  { tag: 'en-GB', label: 'English (United Kingdom)' },
  { tag: 'en-US', label: 'English (United States)' },
  { tag: 'en-AU', label: 'English (Australia)' },
  { tag: 'en-IE', label: 'English (Ireland)' },
  { tag: 'fr-FR', label: 'Français (France)' },
  { tag: 'de-DE', label: 'Deutsch (Deutschland)' },
  { tag: 'nl-NL', label: 'Nederlands (Nederland)' },
  { tag: 'es-ES', label: 'Español (España)' },
];

export const PLANS = [
  { code: 'starter', label: 'Starter' },
  { code: 'professional', label: 'Professional' },
  { code: 'enterprise', label: 'Enterprise' },
];

/** A tenant's rollups in a few words, for the fleet table; the tenant page lists the stale ones. */
export function rollupsText(rollups: { state: string; version: number | null; stale: readonly string[] }): string {
  switch (rollups.state) {
    case 'current':
      return 'current';
    case 'stale':
      return `${rollups.stale.length} stale`;
    case 'unknown':
      return 'unknown';
    default:
      return '—';
  }
}

type GoldRebuild = { state: string; fromVersion: number; missing: readonly string[]; attempts: number; maxAttempts: number; willRetry: boolean; error: string | null };

/** The rebuild a tenant waits for (its published gold lacks columns this release reads), in a few words for the fleet table. */
export function goldRebuildText(rebuild: GoldRebuild): string {
  return rebuild.state === 'failed' ? `rebuild failed (${rebuild.attempts} of ${rebuild.maxAttempts})` : `rebuild ${rebuild.state}`;
}

/** The same in full, for the tenant page: what the version lacks, the attempts, and what happens next. */
export function goldRebuildDetail(rebuild: GoldRebuild): string {
  const lacking = `version ${rebuild.fromVersion} lacks ${rebuild.missing.join(', ')}`;
  if (rebuild.state !== 'failed') return `Rebuild ${rebuild.state} (attempt ${rebuild.attempts} of ${rebuild.maxAttempts}): ${lacking}; figures reading them wait for it.`;
  const next = rebuild.willRetry ? 'the worker queues the next attempt' : 'the worker will not retry: rebuild the tenant';
  return `Rebuild failed after ${rebuild.attempts} of ${rebuild.maxAttempts} attempts (${next}): ${lacking}. ${rebuild.error ?? ''}`.trim();
}
