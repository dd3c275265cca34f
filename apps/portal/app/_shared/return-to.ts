/**
 * Where someone sent to sign in was going: a link to a filtered dashboard opened without a session,
 * or a page whose session ended, brings them back there once they have signed in.
 */

/** The request header `proxy.ts` sets on every signed-in page's request: its path and query. */
export const RETURN_TO_HEADER = 'x-kineo-return-to';

/** The sign-in page's parameter holding it. */
export const RETURN_TO_PARAM = 'next';

/** The cookie holding it across "Sign in with Microsoft" (the round trip through Microsoft cannot carry it). */
export const RETURN_TO_COOKIE = 'kineo_return_to';

/** The organisation this browser last signed in to with Microsoft, so the sign-in page offers it again. */
export const SIGN_IN_TENANT_COOKIE = 'kineo_sign_in_tenant';

/** An organisation's slug as a sign-in link names it (`?tenant=`). */
export const TENANT_SLUG = /^[a-z0-9-]{3,40}$/;

const PAGES = /^\/(dashboards|explore|onboarding|users|platform|account)(\/|\?|$)/;

/**
 * A page of this portal to return to, or undefined: a path of one of the signed-in pages only, never
 * another site ('//host', '/\\host', 'https:...' are what a browser would read as one), at most 2,000 characters.
 */
export function safeReturnPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2000 || !PAGES.test(value)) return undefined;
  // Control characters, or a backslash a browser reads as a slash, have no place in a path the portal wrote.
  if ([...value].some((ch) => ch < ' ' || ch === '\\')) return undefined;
  try {
    const base = 'http://portal.invalid';
    const url = new URL(value, base);
    // Checked again as the browser will read it: '/dashboards/..//evil.example' is '//evil.example',
    // another site, once its dots are resolved.
    const path = `${url.pathname}${url.search}`;
    return url.origin === base && PAGES.test(path) && !path.startsWith('//') ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The sign-in page, saying why the user landed there, and where to go back to once signed in. */
export function signInPath(reason?: 'expired' | 'suspended', returnTo?: string): string {
  const params = new URLSearchParams();
  if (reason) params.set(reason, '1');
  const back = safeReturnPath(returnTo);
  if (back) params.set(RETURN_TO_PARAM, back);
  const query = params.toString();
  return query ? `/sign-in?${query}` : '/sign-in';
}
