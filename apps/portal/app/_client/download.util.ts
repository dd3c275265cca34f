/**
 * Asks the portal's server for an export and saves the file under the name the gateway gave it.
 * The request is a fetch (not a form post) so a refusal is shown on the page instead of replacing it.
 */
export async function downloadExport(request: Record<string, unknown>): Promise<void> {
  const res = await fetch('/api/exports', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    throw new Error(body.message ?? `The export failed (HTTP ${res.status}).`);
  }
  const disposition = res.headers.get('content-disposition') ?? '';
  const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `export.${request.format === 'xlsx' ? 'xlsx' : 'csv'}`;
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
