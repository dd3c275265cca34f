import fastifyCors from '@fastify/cors';
import type { Settings } from '@kineo/config';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import { GRAPHQL_PATH } from '../graphql/graphql.module';

/** The origins a browser may call the gateway from: the settings' list, else the portal's own. */
export function corsOrigins(settings: Pick<Settings, 'CORS_ORIGINS' | 'PORTAL_URL'>): string[] {
  return settings.CORS_ORIGINS ?? [new URL(settings.PORTAL_URL).origin];
}

/**
 * Security headers on every answer, cross-origin calls only from the allow-listed origins, and a
 * body limit on GraphQL. Registered before the routes exist, so Mercurius's route is covered too.
 */
export async function registerHttpHardening(fastify: FastifyInstance, settings: Settings): Promise<void> {
  fastify.addHook('onRoute', (route) => {
    // A GraphQL document is small; anything larger is refused (413) before it is parsed.
    if (route.url === GRAPHQL_PATH) route.bodyLimit = settings.GRAPHQL_MAX_BODY_BYTES;
  });
  // The gateway serves JSON and files, never pages, so the strictest defaults cost nothing. helmet's
  // middleware is built once here: @fastify/helmet (13.2) built it again on every request, parsing
  // the default Content-Security-Policy each time, in two more hooks (CPU and garbage on every
  // request, a cached dashboard's included).
  const securityHeaders = helmet();
  fastify.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error instanceof Error ? error : undefined)));
  const allowed = new Set(corsOrigins(settings));
  await fastify.register(fastifyCors, {
    // Unlisted origins get no CORS headers, so the browser keeps the answer from the page.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    // Tus needs its headers visible to a browser client; the request id helps support.
    exposedHeaders: ['x-request-id', 'location', 'upload-offset', 'upload-length', 'tus-resumable'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'upload-offset', 'upload-length', 'upload-metadata', 'tus-resumable', 'upload-concat', 'upload-defer-length'],
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    maxAge: 600,
  });
}
