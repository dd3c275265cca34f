import { cookies } from 'next/headers';
import type { NextRequest } from 'next/server';
import { clientHeaders } from '@/app/_server/client-headers';
import { gatewayRequest } from '@/app/_server/gateway';
import { isHttps, isSameOrigin, refuseCrossSite } from '@/app/_server/same-origin';
import { SignInMutation, SignOutMutation } from '@/app/_server/session.operations';
import { landingPath, problem, refusal, SESSION_COOKIE, sessionCookieOptions } from '@/app/_server/session';

interface SignInBody {
  email: string;
  password: string;
  tenant?: string;
}

function readBody(raw: unknown): SignInBody | Response {
  if (!raw || typeof raw !== 'object') return problem(400, 'BAD_REQUEST', 'The sign-in request must be a JSON object.');
  const { email, password, tenant } = raw as Record<string, unknown>;
  if (typeof email !== 'string' || !email.trim()) return problem(400, 'BAD_REQUEST', 'Enter your email address.', 'email');
  if (typeof password !== 'string' || !password) return problem(400, 'BAD_REQUEST', 'Enter your password.', 'password');
  if (tenant !== undefined && tenant !== null && typeof tenant !== 'string') {
    return problem(400, 'BAD_REQUEST', 'The organisation must be text.', 'tenant');
  }
  const slug = typeof tenant === 'string' && tenant.trim() ? tenant.trim() : undefined;
  return { email: email.trim(), password, ...(slug ? { tenant: slug } : {}) };
}

/** Sign in: the gateway checks the password; the token it returns goes only into the httpOnly cookie. */
export async function POST(request: NextRequest) {
  if (!isSameOrigin(request)) return refuseCrossSite();
  const body = readBody(await request.json().catch(() => undefined));
  if (body instanceof Response) return body;

  let reply;
  try {
    reply = await gatewayRequest(SignInMutation, { email: body.email, password: body.password, tenant: body.tenant ?? null }, undefined, clientHeaders(request));
  } catch {
    return problem(503, 'GATEWAY_UNAVAILABLE', 'Sign-in is unavailable: the analytics service does not answer. Try again shortly.');
  }
  const session = reply.data?.login;
  if (!session) return refusal(reply, 'Sign-in failed.', (code) => (code === 'TENANT_REQUIRED' ? 'tenant' : undefined));

  (await cookies()).set(SESSION_COOKIE, session.token, sessionCookieOptions(isHttps(request), new Date(session.expiresAt)));
  return Response.json({ role: session.role, tenant: session.tenant, expiresAt: session.expiresAt, landing: landingPath(session.role) });
}

/**
 * Sign out: the gateway ends the session (its access and refresh tokens stop working, so a copy of
 * the cookie taken from this browser, a shared computer or a proxy's log is worth nothing), and the
 * cookie goes. If the gateway does not answer, the cookie goes all the same and the answer says the
 * session may live on until it expires.
 */
export async function DELETE(request: NextRequest) {
  if (!isSameOrigin(request)) return refuseCrossSite();
  const jar = await cookies();
  const token = jar.get(SESSION_COOKIE)?.value;
  let ended = true;
  if (token) {
    // A session already ended or expired is as good as signed out.
    ended = await gatewayRequest(SignOutMutation, {}, token, clientHeaders(request)).then(
      (reply) => reply.data?.logout === true || reply.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED',
      () => false,
    );
  }
  jar.set(SESSION_COOKIE, '', sessionCookieOptions(isHttps(request)));
  if (ended) return new Response(null, { status: 204 });
  return Response.json(
    { code: 'SIGN_OUT_INCOMPLETE', message: 'You are signed out of this browser, but the analytics service did not answer, so the session may stay valid elsewhere until it expires.' },
    { status: 202 },
  );
}
