import { signInPath } from '@/app/_shared/return-to';

/** `kineo-my-team-reports-v3.csv`: what the person exported, as the screen names it, and the data version. */
function fileNameFor(name: string, dataVersion: string | null, format: string): string {
  const base = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'export';
  return `kineo-${base}${dataVersion ? `-v${dataVersion}` : ''}.${format}`;
}

/**
 * Asks the portal's server for an export and saves the file named after what the screen shows
 * (`name`; the gateway's own name is made of the query's measures). The request is a fetch (not a
 * form post) so a refusal is shown on the page instead of replacing it.
 */
export async function downloadExport(request: Record<string, unknown>, name?: string): Promise<void> {
  const res = await fetch('/api/exports', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { message?: string; code?: string };
    // A session that ended (or an organisation suspended) goes to sign-in and back here, as every other request does.
    const ended = body.code === 'UNAUTHENTICATED' ? 'expired' : body.code === 'TENANT_SUSPENDED' ? 'suspended' : undefined;
    if (ended) window.location.assign(signInPath(ended, `${window.location.pathname}${window.location.search}`));
    throw new Error(body.message ?? `The export failed (HTTP ${res.status}).`);
  }
  const disposition = res.headers.get('content-disposition') ?? '';
  const format = request.format === 'xlsx' ? 'xlsx' : 'csv';
  const fileName = name
    ? fileNameFor(name, res.headers.get('x-kineo-data-version'), format)
    : (/filename="([^"]+)"/.exec(disposition)?.[1] ?? `export.${format}`);
  const url = URL.createObjectURL(await res.blob());
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // The click has handed the blob to the browser's download; the URL is no longer needed after this turn.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
