import 'server-only';
import { cache } from 'react';
import { cookies } from 'next/headers';
import type { MeQuery } from '@/generated/server/graphql';
import { MeQuery as MeDocument, MyDashboardsQuery } from './session.operations';
import { errorCode, gatewayRequest } from './gateway';

/**
 * The gateway's bearer token lives only in this cookie: httpOnly (no script reads it), SameSite=Lax
 * (no cross-site POST carries it), Path=/ and Secure whenever the portal is served over HTTPS.
 */
export const SESSION_COOKIE = 'kineo_session';

export type SignedIn = MeQuery['me'];
export type Role = SignedIn['role'];

export type SessionState =
  | { state: 'signed-in'; me: SignedIn }
  | { state: 'signed-out'; reason?: 'expired' }
  | { state: 'unavailable'; message: string };

/** Who the cookie belongs to, asked of the gateway once per request (a disabled user is out at once). */
export const readSession = cache(async (): Promise<SessionState> => {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token) return { state: 'signed-out' };
  try {
    const reply = await gatewayRequest(MeDocument, {}, token);
    if (reply.data?.me) return { state: 'signed-in', me: reply.data.me };
    const code = errorCode(reply);
    if (code === 'UNAUTHENTICATED' || code === 'TENANT_SUSPENDED' || code === 'FORBIDDEN') {
      return { state: 'signed-out', reason: 'expired' };
    }
    return { state: 'unavailable', message: reply.errors?.[0]?.message ?? `the gateway answered HTTP ${reply.status}` };
  } catch (err) {
    return { state: 'unavailable', message: err instanceof Error ? err.message : 'the gateway is unreachable' };
  }
});

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
