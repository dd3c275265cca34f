import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module, RequestMethod, type DynamicModule } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import { traceFields } from '@kineo/telemetry';
import { LoggerModule } from 'nestjs-pino';
import { stdTimeFunctions, type DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import { requestIdOf } from './request-id.util';

// Probes and scrapes arrive every few seconds; a line each would drown the requests people make.
const QUIET_PATHS = new Set(['/health', '/health/live', '/metrics']);

export function pinoHttpOptions(settings: Pick<Settings, 'LOG_LEVEL'>): Options<IncomingMessage, ServerResponse> {
  return {
    level: settings.LOG_LEVEL,
    base: { service: 'gateway' },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    genReqId: (req) => requestIdOf(req),
    // Each line logged inside a request's span (the completion line too) carries trace_id and span_id.
    mixin: () => traceFields(),
    customAttributeKeys: { reqId: 'reqId' },
    // Logs made while handling a request carry only reqId; the completion line carries req and res.
    quietReqLogger: true,
    serializers: {
      // The path only: a query string can carry a token or a whole GraphQL mutation with a password.
      req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({
        method: req.method,
        url: req.url === undefined ? undefined : withoutQuery(req.url),
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    // Should anything log a request's headers or a credential field, it is censored, not written.
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    customLogLevel: (_req, res, error) => {
      if (error || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
    autoLogging: {
      // Nest strips the mount path from req.url while its middleware runs; originalUrl keeps it.
      ignore: (req) => QUIET_PATHS.has(pathOf(req)),
    },
  };
}

const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  '*.password',
  'variables.password',
  '*.variables.password',
  'token',
  '*.token',
];

function withoutQuery(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? url : `${url.slice(0, at)}?[redacted]`;
}

function pathOf(req: IncomingMessage): string {
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '';
  return url.split('?')[0] ?? '';
}

/** JSON logs through pino, one request id per request in every line (`reqId`). */
@Module({})
export class LoggingModule {
  static forRoot(settings: Settings, destination?: DestinationStream): DynamicModule {
    const options = pinoHttpOptions(settings);
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: destination ? [options, destination] : options,
          // nestjs-pino's default, "{/*splat}", matches no request on @nestjs/platform-fastify 12.5.
          forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
        }),
      ],
      exports: [LoggerModule],
    };
  }
}
