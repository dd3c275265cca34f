import 'server-only';
import type { NextRequest } from 'next/server';

/**
 * CSRF defence for every state-changing request the portal's server answers: the browser must say the
 * request comes from a page of this portal. Browsers send Origin on every POST and DELETE and scripts
 * cannot forge it; Sec-Fetch-Site is the fallback for the rare request without it. The session cookie
 * is SameSite=Lax as well, so a cross-site form post never carries it anyway.
 */
export function isSameOrigin(request: NextRequest): boolean {
  const origin = request.headers.get('origin');
  if (origin) {
    const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host');
    try {
      return host !== null && new URL(origin).host === host;
    } catch {
      return false;
    }
  }
  return request.headers.get('sec-fetch-site') === 'same-origin';
}

/** Over HTTPS (directly or behind a proxy that says so) the cookie gets Secure. */
export function isHttps(request: NextRequest): boolean {
  const forwarded = request.headers.get('x-forwarded-proto');
  return (forwarded ?? request.nextUrl.protocol.replace(':', '')) === 'https';
}

export function refuseCrossSite(): Response {
  return Response.json(
    { code: 'CSRF_REFUSED', message: 'This request did not come from a page of the portal (Origin does not match); it was refused.' },
    { status: 403 },
  );
}
