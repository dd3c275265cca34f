import 'server-only';
import { cache } from 'react';
import { cookies } from 'next/headers';
import type { NextRequest } from 'next/server';
import type { MeQuery } from '@/generated/server/graphql';
import { MeQuery as MeDocument, MyDashboardsQuery } from './session.operations';
import { errorCode, gatewayRequest, type GraphqlReply } from './gateway';
import { isHttps } from './same-origin';
import { safeReturnPath } from '../_shared/return-to';

/**
 * The gateway's bearer token lives only in this cookie: httpOnly (no script reads it), SameSite=Lax
 * (no cross-site POST carries it), Path=/ and Secure whenever the portal is served over HTTPS.
 */
export const SESSION_COOKIE = 'kineo_session';

export type SignedIn = MeQuery['me'];
export type Role = SignedIn['role'];

export type SessionState =
  | { state: 'signed-in'; me: SignedIn }
  | { state: 'signed-out'; reason?: 'expired' | 'suspended' }
  | { state: 'unavailable'; message: string };

const SESSION_CHECK_TIMEOUT_MS = 5_000;

/** Who the cookie belongs to, asked of the gateway once per request (a disabled user is out at once). */
export const readSession = cache(async (): Promise<SessionState> => {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token) return { state: 'signed-out' };
  try {
    // Who the caller is takes the gateway a few milliseconds: a gateway that has not answered in 5 s is
    // not answering, and every page says so then rather than after the 30 s a dashboard may take.
    const reply = await gatewayRequest(MeDocument, {}, token, {}, SESSION_CHECK_TIMEOUT_MS);
    if (reply.data?.me) return { state: 'signed-in', me: reply.data.me };
    const code = errorCode(reply);
    // Signing in again would not help: the sign-in page says why instead of "your session has ended".
    if (code === 'TENANT_SUSPENDED') return { state: 'signed-out', reason: 'suspended' };
    if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') {
      return { state: 'signed-out', reason: 'expired' };
    }
    return { state: 'unavailable', message: reply.errors?.[0]?.message ?? `the gateway answered HTTP ${reply.status}` };
  } catch (err) {
    return { state: 'unavailable', message: err instanceof Error ? err.message : 'the gateway is unreachable' };
  }
});

export { signInPath } from '../_shared/return-to';

/** Where each role starts: a manager on their team, an org admin on course completion. */
export function landingPath(role: Role): string {
  switch (role) {
    case 'manager':
      return '/dashboards/my-team';
    case 'org_admin':
    case 'viewer':
      return '/dashboards/course-completion';
    case 'kineo_ops':
      return '/platform';
  }
}

export interface CookieOptions {
  httpOnly: true;
  sameSite: 'lax';
  secure: boolean;
  path: '/';
  expires?: Date;
  maxAge?: number;
}

export function sessionCookieOptions(secure: boolean, expires?: Date): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure, path: '/', ...(expires ? { expires } : { maxAge: 0 }) };
}

/** The dashboards the caller's role opens, for the navigation; none when the gateway cannot say. */
export async function readMyDashboards(role: Role): Promise<{ id: string; title: string }[]> {
  if (role === 'kineo_ops') return [];
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  try {
    const reply = await gatewayRequest(MyDashboardsQuery, {}, token);
    return reply.data?.meta.dashboards ?? [];
  } catch {
    return [];
  }
}

/** A JSON refusal the portal's forms show: what went wrong and, where it is about one field, which. */
export function problem(status: number, code: string, message: string, field?: string): Response {
  return Response.json({ code, message, ...(field ? { field } : {}) }, { status, headers: { 'cache-control': 'no-store' } });
}

/** The gateway's refusal of a GraphQL request, as the HTTP status and message a form shows. */
export function refusal(reply: GraphqlReply<unknown>, fallback: string, field?: (code: string) => string | undefined): Response {
  const code = errorCode(reply) ?? 'INTERNAL';
  const message = reply.errors?.[0]?.message ?? fallback;
  const status: Record<string, number> = { UNAUTHENTICATED: 401, TENANT_REQUIRED: 409, BAD_USER_INPUT: 400, PASSWORD_WEAK: 400, EMAIL_INVALID: 400, INVITATION_INVALID: 410, RESET_TOKEN_INVALID: 410, INTERNAL: 502 };
  return problem(status[code] ?? 403, code, message, field?.(code));
}

/**
 * Opens the portal session for a token the gateway just issued: it goes only into the httpOnly cookie.
 * `landing` is where to go next: `returnTo` when it is one of the portal's pages, else the role's first page.
 */
export async function openSession(request: NextRequest, session: { token: string; expiresAt: string; role: Role }, returnTo?: string): Promise<Response> {
  (await cookies()).set(SESSION_COOKIE, session.token, sessionCookieOptions(isHttps(request), new Date(session.expiresAt)));
  const landing = safeReturnPath(returnTo) ?? landingPath(session.role);
  return Response.json({ role: session.role, landing }, { headers: { 'cache-control': 'no-store' } });
}
