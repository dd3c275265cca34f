import { cookies } from 'next/headers';
import type { NextRequest } from 'next/server';
import persistedDocuments from '@/generated/browser/persisted-documents.json';
import { clientHeaders } from '@/app/_server/client-headers';
import { postToGateway } from '@/app/_server/gateway';
import { isHttps, isSameOrigin, refuseCrossSite } from '@/app/_server/same-origin';
import { SESSION_COOKIE, sessionCookieOptions } from '@/app/_server/session';

const documents: Record<string, string> = persistedDocuments;

function problem(status: number, code: string, message: string): Response {
  return Response.json({ errors: [{ message, extensions: { code } }] }, { status });
}

/**
 * The browser's only way to the gateway. It names one of the portal's own operations by hash (the
 * list codegen writes), so no other document, such as sign-in's, can be run through here; the
 * session cookie becomes the gateway's Authorization header and never reaches a script.
 */
export async function POST(request: NextRequest) {
  if (!isSameOrigin(request)) return refuseCrossSite();
  const body = (await request.json().catch(() => undefined)) as { documentId?: unknown; variables?: unknown } | undefined;
  const id = typeof body?.documentId === 'string' ? body.documentId : undefined;
  if (!id) return problem(400, 'BAD_REQUEST', 'The request must name an operation: { "documentId": "sha256:...", "variables": {...} }.');
  const query = documents[id];
  if (!query) return problem(400, 'UNKNOWN_OPERATION', `No operation ${id} in this portal build; reload the page.`);
  if (body?.variables !== undefined && (typeof body.variables !== 'object' || Array.isArray(body.variables))) {
    return problem(400, 'BAD_REQUEST', 'variables must be a JSON object.');
  }

  const jar = await cookies();
  const token = jar.get(SESSION_COOKIE)?.value;
  if (!token) return problem(401, 'UNAUTHENTICATED', 'You are signed out. Sign in again.');

  let res: Response;
  try {
    res = await postToGateway(query, body?.variables, token, clientHeaders(request));
  } catch {
    return problem(503, 'GATEWAY_UNAVAILABLE', 'The analytics service does not answer. Try again shortly.');
  }
  const text = await res.text();
  if (saysUnauthenticated(text)) jar.set(SESSION_COOKIE, '', sessionCookieOptions(isHttps(request)));
  return new Response(text, { status: res.status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}

/** A token the gateway no longer accepts (expired, user disabled) is dropped, so the next page asks to sign in. */
function saysUnauthenticated(text: string): boolean {
  try {
    const reply = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: unknown } }> };
    return reply.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED') ?? false;
  } catch {
    return false;
  }
}
