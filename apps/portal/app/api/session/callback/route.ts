import { cookies } from 'next/headers';
import type { NextRequest } from 'next/server';
import { clientHeaders } from '@/app/_server/client-headers';
import { readFields } from '@/app/_server/form-body.util';
import { gatewayRequest } from '@/app/_server/gateway';
import { isSameOrigin, refuseCrossSite } from '@/app/_server/same-origin';
import { MeQuery } from '@/app/_server/session.operations';
import { openSession, problem, refusal } from '@/app/_server/session';
import { RETURN_TO_COOKIE } from '@/app/_shared/return-to';

/**
 * Completes "Sign in with Microsoft": the gateway hands the new session to /auth/callback in the URL's
 * fragment (never sent to a server by the browser); that page posts it here once, and from then on it
 * lives only in the httpOnly cookie. The token is checked with the gateway before the cookie is set.
 */
export async function POST(request: NextRequest) {
  if (!isSameOrigin(request)) return refuseCrossSite();
  const body = await readFields(request, { token: 'The sign-in token', expiresAt: 'The session expiry' });
  if (body instanceof Response) return body;
  const expiresAt = new Date(body.expiresAt!);
  if (Number.isNaN(expiresAt.getTime())) return problem(400, 'BAD_REQUEST', 'The session expiry must be an ISO date-time.', 'expiresAt');
  let reply;
  try {
    reply = await gatewayRequest(MeQuery, {}, body.token, clientHeaders(request));
  } catch {
    return problem(503, 'GATEWAY_UNAVAILABLE', 'The analytics service does not answer. Try again shortly.');
  }
  const me = reply.data?.me;
  if (!me) return refusal(reply, 'The Microsoft sign-in was not accepted.');
  // Where the person was going before Microsoft sign-in (/api/session/microsoft), once only.
  const returnTo = request.cookies.get(RETURN_TO_COOKIE)?.value;
  if (returnTo !== undefined) (await cookies()).delete(RETURN_TO_COOKIE);
  return openSession(request, { token: body.token!, expiresAt: expiresAt.toISOString(), role: me.role }, returnTo);
}
