import { cookies } from 'next/headers';
import type { NextRequest } from 'next/server';
import { clientHeaders } from '@/app/_server/client-headers';
import { gatewayUrl } from '@/app/_server/gateway-health';
import { isSameOrigin, refuseCrossSite } from '@/app/_server/same-origin';
import { SESSION_COOKIE } from '@/app/_server/session';

const PASSED_HEADERS = ['content-type', 'content-disposition', 'x-kineo-data-version', 'x-kineo-as-of'];

/**
 * CSV and XLSX exports: the request (a tile's query as shown, or a drill list) goes to the gateway's
 * POST /exports with the session's bearer token, and the file streams back as the gateway writes it.
 */
export async function POST(request: NextRequest) {
  if (!isSameOrigin(request)) return refuseCrossSite();
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token) return Response.json({ code: 'UNAUTHENTICATED', message: 'You are signed out. Sign in again.' }, { status: 401 });
  const body = await request.text();
  let res: Response;
  try {
    res = await fetch(`${gatewayUrl()}/exports`, {
      method: 'POST',
      cache: 'no-store',
      headers: { ...clientHeaders(request), 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
  } catch {
    return Response.json({ code: 'GATEWAY_UNAVAILABLE', message: 'The analytics service does not answer. Try again shortly.' }, { status: 503 });
  }
  const headers = new Headers({ 'cache-control': 'no-store' });
  for (const name of PASSED_HEADERS) {
    const value = res.headers.get(name);
    if (value) headers.set(name, value);
  }
  return new Response(res.body, { status: res.status, headers });
}
