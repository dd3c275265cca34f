import { cookies } from 'next/headers';
import type { NextRequest } from 'next/server';
import { clientHeaders } from '@/app/_server/client-headers';
import { readFields } from '@/app/_server/form-body.util';
import { gatewayUrl } from '@/app/_server/gateway-health';
import { MICROSOFT_NONCE_COOKIE, MICROSOFT_NONCE_PATH, NOT_STARTED_HERE } from '@/app/_server/microsoft-sign-in';
import { isSameOrigin, refuseCrossSite } from '@/app/_server/same-origin';
import { openSession, problem, type Role } from '@/app/_server/session';
import { RETURN_TO_COOKIE } from '@/app/_shared/return-to';

/**
 * Completes "Sign in with Microsoft": the gateway lands the browser on /auth/callback with a code in
 * the URL's fragment (never sent to a server by the browser, and no token: an encrypted minute-long
 * code); that page posts it here once. Only when this browser holds the nonce cookie that
 * /api/session/microsoft set for the sign-in is the code redeemed at the gateway, with that nonce,
 * for the session, which then lives only in the httpOnly cookie. A link carrying a sign-in started
 * elsewhere is refused, and the session this browser has stays as it is.
 */
export async function POST(request: NextRequest) {
  if (!isSameOrigin(request)) return refuseCrossSite();
  const body = await readFields(request, { code: 'The sign-in code' });
  if (body instanceof Response) return body;
  const nonce = request.cookies.get(MICROSOFT_NONCE_COOKIE)?.value;
  // No nonce: this browser started no Microsoft sign-in (or took longer than ten minutes).
  if (!body.code || !nonce) return problem(403, 'SIGN_IN_NOT_STARTED_HERE', NOT_STARTED_HERE);
  let reply: Response;
  try {
    reply = await fetch(`${gatewayUrl()}/auth/oidc/complete`, {
      method: 'POST',
      cache: 'no-store',
      signal: AbortSignal.timeout(30_000),
      headers: { 'content-type': 'application/json', accept: 'application/json', ...clientHeaders(request) },
      body: JSON.stringify({ code: body.code, nonce }),
    });
  } catch {
    return problem(503, 'GATEWAY_UNAVAILABLE', 'The analytics service does not answer. Try again shortly.');
  }
  const answer = (await reply.json().catch(() => ({}))) as { token?: string; expiresAt?: string; role?: Role; code?: string; message?: string };
  if (!reply.ok || !answer.token || !answer.expiresAt || !answer.role) {
    return problem(reply.status >= 400 && reply.status < 500 ? reply.status : 502, answer.code ?? 'INTERNAL', answer.message ?? 'The Microsoft sign-in was not accepted.');
  }
  const jar = await cookies();
  // The nonce is spent: the same answer cannot complete a sign-in twice.
  jar.delete({ name: MICROSOFT_NONCE_COOKIE, path: MICROSOFT_NONCE_PATH });
  // Where the person was going before Microsoft sign-in (/api/session/microsoft), once only.
  const returnTo = request.cookies.get(RETURN_TO_COOKIE)?.value;
  if (returnTo !== undefined) jar.delete(RETURN_TO_COOKIE);
  return openSession(request, { token: answer.token, expiresAt: answer.expiresAt, role: answer.role }, returnTo);
}
