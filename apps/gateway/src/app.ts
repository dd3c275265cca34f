import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import fastifyMultipart from '@fastify/multipart';
import { AuthService } from '@kineo/auth';
import { assertNoDevelopmentSecrets, secretsRequired, type Settings } from '@kineo/config';
import { startTracing } from '@kineo/telemetry';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule, type GatewayOptions } from './app.module';
import { SessionHook } from './engine/auth/session.hook';
import { installJsonFragments } from './engine/graphql/json-fragments.util';
import { registerHttpHardening } from './engine/http/http-hardening.util';
import { REQUEST_ID_HEADER, requestIdOf } from './engine/logging/request-id.util';
import { MetricsService } from './engine/metrics/metrics.service';
import { traceRequests } from './engine/telemetry/request-tracing.util';
import { QueueBoard } from './modules/operations/queue-board.service';
import { registerResumableTransport } from './modules/uploads/resumable-http.util';
import { multipartOptions, refuseOversizedUploads } from './modules/uploads/upload-limits.util';

export type { GatewayOptions };

/** The gateway, initialised and ready for `listen()` or `inject()`. */
export async function createGateway(settings: Settings, options: GatewayOptions = {}): Promise<NestFastifyApplication> {
  assertNoDevelopmentSecrets(settings);
  const adapter = new FastifyAdapter({
    logger: false,
    genReqId: (req: IncomingMessage) => requestIdOf(req),
    // Only the listed proxies (the portal's server, a load balancer) may say who the client is.
    trustProxy: settings.TRUSTED_PROXIES.length > 0 ? settings.TRUSTED_PROXIES : false,
  });
  // Before the modules are made: the warehouse gets statement spans only when tracing is on.
  const tracing = startTracing(settings, 'kineo-gateway');
  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(settings, options, tracing), adapter, {
      bufferLogs: true,
      // Let the caller report a failed start instead of Nest aborting the process.
      abortOnError: false,
      // Once shutdown starts, a request on a connection already open is answered 503 (with
      // `Connection: close`) while the requests in flight finish.
      return503OnClosing: true,
    });
  } catch (error) {
    await tracing.release();
    throw error;
  }
  app.useLogger(app.get(Logger));

  // Hooks go on before init() registers the routes, so every route, Mercurius's included, has them.
  const fastify = app.getHttpAdapter().getInstance();
  // First, so everything after it runs inside the request's span.
  if (settings.OTEL_EXPORTER_OTLP_ENDPOINT) traceRequests(fastify);
  if (secretsRequired(settings)) {
    try {
      await app.get(AuthService).ready();
    } catch (error) {
      await app.close();
      throw error;
    }
  }
  await registerHttpHardening(fastify, settings);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  refuseOversizedUploads(fastify, settings);
  app.get(SessionHook).install(fastify);
  installJsonFragments(fastify);
  await app.get(QueueBoard).install(fastify);
  // Uploads stream part by part from the request; nothing is buffered in memory or in a temp folder.
  await app.register(fastifyMultipart, multipartOptions(settings));
  registerResumableTransport(fastify);
  if (settings.METRICS_ENABLED) app.get(MetricsService).instrument(fastify);

  await app.init();
  return app;
}
