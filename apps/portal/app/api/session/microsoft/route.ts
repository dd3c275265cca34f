import type { NextRequest } from 'next/server';
import { gatewayPublicUrl } from '@/app/_server/gateway-health';
import { isHttps } from '@/app/_server/same-origin';
import { RETURN_TO_COOKIE, RETURN_TO_PARAM, safeReturnPath, SIGN_IN_TENANT_COOKIE } from '@/app/_shared/return-to';

const SLUG = /^[a-z0-9-]{3,40}$/;

/**
 * "Sign in with Microsoft": notes where the person was going (a link opened without a session, a
 * page whose session ended) in a short-lived httpOnly cookie, then sends the browser on to the
 * gateway, which takes it to the organisation's Microsoft sign-in. The round trip through Microsoft
 * carries no return path of its own; /api/session/callback reads this cookie once it is back.
 */
export function GET(request: NextRequest) {
  const tenant = request.nextUrl.searchParams.get('tenant') ?? '';
  if (!SLUG.test(tenant)) return Response.redirect(new URL('/sign-in', request.nextUrl), 303);
  const headers = new Headers({ location: `${gatewayPublicUrl()}/auth/oidc/${encodeURIComponent(tenant)}/start`, 'cache-control': 'no-store' });
  const back = safeReturnPath(request.nextUrl.searchParams.get(RETURN_TO_PARAM));
  const secure = isHttps(request) ? '; Secure' : '';
  // Ten minutes: long enough to sign in at Microsoft, short enough not to send a later sign-in somewhere stale.
  headers.append('set-cookie', back ? `${RETURN_TO_COOKIE}=${encodeURIComponent(back)}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax${secure}` : `${RETURN_TO_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure}`);
  // The organisation, remembered by this browser: a link opened later without ?tenant= still offers Microsoft sign-in.
  headers.append('set-cookie', `${SIGN_IN_TENANT_COOKIE}=${tenant}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax${secure}`);
  return new Response(null, { status: 303, headers });
}
