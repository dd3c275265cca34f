import 'server-only';

/**
 * Who the browser is, for the gateway's audit log and throttles: every call reaches the gateway from
 * this server, so without these all people would share one address. The Next server fills
 * X-Forwarded-For with the browser's address when no proxy in front of it did; the gateway believes
 * it only because the portal's address is in its TRUSTED_PROXIES.
 */
export function clientHeaders(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  const forwardedFor = request.headers.get('x-forwarded-for');
  const userAgent = request.headers.get('user-agent');
  if (forwardedFor) headers['x-forwarded-for'] = forwardedFor;
  if (userAgent) headers['user-agent'] = userAgent;
  return headers;
}
