import { activeWithin, ATTR, callerContext, SpanKind, spanOf, SpanStatusCode } from '@kineo/telemetry';
import type { FastifyInstance } from 'fastify';
import { UNMATCHED_ROUTE } from '../metrics/metrics.service';

// Probes and scrapes every few seconds would bury the requests people make (the logs skip them too).
const UNTRACED_PATHS = new Set(['/health', '/health/live', '/metrics']);

/**
 * One server span per request, named by route pattern, continuing the caller's `traceparent` (the
 * portal's, a load balancer's). The rest of the request (the session hook, pino-http, Mercurius, the
 * resolvers) runs with it active, so their spans are its children and their log lines carry its
 * trace id. Registered before every other hook.
 */
export function traceRequests(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0] ?? '';
    if (UNTRACED_PATHS.has(path)) return done();
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const parent = callerContext(request.headers);
    const span = spanOf(
      `${request.method} ${route}`,
      { 'http.request.method': request.method, 'http.route': route, 'url.path': path, 'kineo.request_id': request.id },
      { kind: SpanKind.SERVER, parent },
    );
    if (!span) return done();
    reply.raw.once('close', () => {
      const principal = request.kineoAuth?.principal;
      if (principal?.context) span.setAttributes({ [ATTR.tenant]: principal.context.namespace, [ATTR.tenantId]: principal.context.tenantId });
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    // done() runs the rest of the request, so it is what runs inside the span's context.
    activeWithin(span, done);
  });
}
