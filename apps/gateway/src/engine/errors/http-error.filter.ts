import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { isDomainError, type DomainError } from '@kineo/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { exposureOf, INTERNAL_ERROR_CODE, RETRY_AFTER_UNAVAILABLE_SECONDS, SERVICE_UNAVAILABLE } from './client-errors.util';

/** A domain error that knows its HTTP status (an upload that is too large is 413, not 400). */
export interface HttpStatusCarrier {
  readonly httpStatus: number;
}

// Codes other modules raise, whose status is not carried on the error.
const STATUS_BY_CODE: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  TENANT_SUSPENDED: 403,
  TENANT_NOT_FOUND: 404,
  LOAD_NOT_FOUND: 404,
  UPLOAD_TOO_LARGE: 413,
  WAREHOUSE_BUSY: 503,
  // Not the request's fault, and no outage: the published data cannot answer it until its rebuild publishes.
  NEEDS_NEXT_BUILD: 409,
};

export interface HttpErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

function statusOf(error: DomainError): number {
  const carried = (error as Partial<HttpStatusCarrier>).httpStatus;
  return typeof carried === 'number' ? carried : (STATUS_BY_CODE[error.code] ?? 400);
}

/**
 * The REST counterpart of the GraphQL error formatter: a domain error's code and safe message with
 * its status; anything else is INTERNAL with the request id, its message kept for the log.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: PinoLogger) {
    this.logger.setContext('HTTP');
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const body = this.bodyFor(exception, String(request.id));
    const retryAfter = body.code === SERVICE_UNAVAILABLE ? RETRY_AFTER_UNAVAILABLE_SECONDS : body.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    void reply.status(body.statusCode).send(body);
  }

  private bodyFor(exception: unknown, requestId: string): HttpErrorBody {
    const exposure = exposureOf(exception);
    if (isDomainError(exception) && exposure === 'unavailable') {
      this.logger.error({ err: exception }, `Request failed: ${exception.message}`);
      return {
        statusCode: 503,
        code: SERVICE_UNAVAILABLE,
        message: `The service is temporarily unavailable; try again shortly (request id ${requestId}).`,
      };
    }
    if (isDomainError(exception) && exposure === 'client') {
      const details = Object.keys(exception.details).length > 0 ? { details: exception.details } : {};
      return { statusCode: statusOf(exception), code: exception.code, message: exception.message, ...details };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      return { statusCode, code: statusCode >= 500 ? INTERNAL_ERROR_CODE : `HTTP_${statusCode}`, message: exception.message };
    }
    this.logger.error({ err: exception }, `Request failed: ${exception instanceof Error ? exception.message : String(exception)}`);
    return { statusCode: 500, code: INTERNAL_ERROR_CODE, message: `Internal error. Quote request id ${requestId} when reporting it.` };
  }
}
