import 'server-only';
import { cookies } from 'next/headers';
import type { NextRequest } from 'next/server';
import { clientHeaders } from './client-headers';
import { gatewayUrl } from './gateway-health';
import { isSameOrigin, refuseCrossSite } from './same-origin';
import { problem, SESSION_COOKIE } from './session';

export interface RelayOptions {
  /** The gateway's path, e.g. /uploads. */
  path: string;
  method?: string;
  /** Request headers passed on to the gateway as they came (content type, tus headers...). */
  requestHeaders?: readonly string[];
  /** Response headers passed back to the browser. */
  responseHeaders?: readonly string[];
  /** Streams the browser's body on as it arrives (an upload), instead of reading it first. */
  body?: 'stream' | 'none' | 'text';
  /** Rewrites a response header's value (the tus upload's Location points at the gateway). */
  rewrite?: Record<string, (value: string) => string>;
}

/**
 * A REST call of the gateway made for the browser: the session cookie becomes the bearer token (the
 * browser never holds it), a state-changing request must come from a page of the portal, and the
 * gateway's answer (a file, a JSON refusal) streams back as the gateway writes it.
 */
export async function relayToGateway(request: NextRequest, options: RelayOptions): Promise<Response> {
  const method = options.method ?? request.method;
  if (method !== 'GET' && method !== 'HEAD' && !isSameOrigin(request)) return refuseCrossSite();
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token) return problem(401, 'UNAUTHENTICATED', 'You are signed out. Sign in again.');

  const headers = new Headers({ ...clientHeaders(request), authorization: `Bearer ${token}` });
  for (const name of options.requestHeaders ?? []) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const mode = options.body ?? 'none';
  let res: Response;
  try {
    res = await fetch(`${gatewayUrl()}${options.path}`, {
      method,
      cache: 'no-store',
      headers,
      redirect: 'manual',
      ...(mode === 'stream' && request.body ? { body: request.body, duplex: 'half' } : {}),
      ...(mode === 'text' ? { body: await request.text() } : {}),
    });
  } catch {
    return problem(503, 'GATEWAY_UNAVAILABLE', 'The analytics service does not answer. Try again shortly.');
  }
  const out = new Headers({ 'cache-control': 'no-store' });
  for (const name of ['content-type', ...(options.responseHeaders ?? [])]) {
    const value = res.headers.get(name);
    if (value !== null) out.set(name, options.rewrite?.[name]?.(value) ?? value);
  }
  const empty = method === 'HEAD' || res.status === 204 || res.status === 304;
  return new Response(empty ? null : res.body, { status: res.status, headers: out });
}
