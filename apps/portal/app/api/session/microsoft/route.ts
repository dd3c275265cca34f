import { cookies } from 'next/headers';
import type { NextRequest } from 'next/server';
import { gatewayPublicUrl } from '@/app/_server/gateway-health';
import { MICROSOFT_NONCE_COOKIE, MICROSOFT_NONCE_PATH, MICROSOFT_NONCE_SECONDS, newMicrosoftNonce } from '@/app/_server/microsoft-sign-in';
import { isHttps } from '@/app/_server/same-origin';
import { RETURN_TO_COOKIE, RETURN_TO_PARAM, safeReturnPath, SIGN_IN_TENANT_COOKIE, TENANT_SLUG } from '@/app/_shared/return-to';

/** Ten minutes: long enough to sign in at Microsoft, short enough not to send a later sign-in somewhere stale. */
const RETURN_TO_SECONDS = 600;
const A_YEAR_SECONDS = 365 * 24 * 3600;

/**
 * "Sign in with Microsoft": notes where the person was going (a link opened without a session, a
 * page whose session ended) in a short-lived httpOnly cookie, then sends the browser on to the
 * gateway, which takes it to the organisation's Microsoft sign-in. The round trip through Microsoft
 * carries no return path of its own; /api/session/callback reads this cookie once it is back.
 * It also keeps a new random nonce in an httpOnly cookie and gives it to the gateway's start: the
 * sign-in is completed only in a browser holding the nonce it comes back with.
 */
export async function GET(request: NextRequest) {
  const tenant = request.nextUrl.searchParams.get('tenant') ?? '';
  if (!TENANT_SLUG.test(tenant)) return Response.redirect(new URL('/sign-in', request.nextUrl), 303);
  const jar = await cookies();
  const options = { httpOnly: true, sameSite: 'lax' as const, secure: isHttps(request), path: '/' };
  const back = safeReturnPath(request.nextUrl.searchParams.get(RETURN_TO_PARAM));
  if (back) jar.set(RETURN_TO_COOKIE, back, { ...options, maxAge: RETURN_TO_SECONDS });
  else jar.delete(RETURN_TO_COOKIE);
  // The organisation, remembered by this browser: a link opened later without ?tenant= still offers Microsoft sign-in.
  jar.set(SIGN_IN_TENANT_COOKIE, tenant, { ...options, maxAge: A_YEAR_SECONDS });
  const nonce = newMicrosoftNonce();
  jar.set(MICROSOFT_NONCE_COOKIE, nonce, { ...options, path: MICROSOFT_NONCE_PATH, maxAge: MICROSOFT_NONCE_SECONDS });
  const start = `${gatewayPublicUrl()}/auth/oidc/${encodeURIComponent(tenant)}/start?${new URLSearchParams({ nonce }).toString()}`;
  return new Response(null, { status: 303, headers: { location: start, 'cache-control': 'no-store' } });
}
