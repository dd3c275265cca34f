import { cookies } from 'next/headers';
import type { NextRequest } from 'next/server';
import { clientHeaders } from '@/app/_server/client-headers';
import { gatewayRequest } from '@/app/_server/gateway';
import { isHttps, isSameOrigin, refuseCrossSite } from '@/app/_server/same-origin';
import { SignInMutation } from '@/app/_server/session.operations';
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

/** Sign out: the cookie goes; the token was never anywhere else in the browser. */
export async function DELETE(request: NextRequest) {
  if (!isSameOrigin(request)) return refuseCrossSite();
  (await cookies()).set(SESSION_COOKIE, '', sessionCookieOptions(isHttps(request)));
  return new Response(null, { status: 204 });
}
