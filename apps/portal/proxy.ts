import { NextResponse, type NextRequest } from 'next/server';
import { RETURN_TO_HEADER } from './app/_shared/return-to';

/**
 * Hands each signed-in page's render the path and query it was asked for (a layout is not told its
 * page's URL): the layout sends a caller without a session to sign-in with it, so a shared link to a
 * filtered dashboard opens that dashboard once they have signed in. Set, never appended: a caller
 * cannot send one of their own.
 */
export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.set(RETURN_TO_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  matcher: ['/dashboards/:path*', '/explore', '/onboarding', '/users', '/platform/:path*'],
};
