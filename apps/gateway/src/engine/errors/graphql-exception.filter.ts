import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

/**
 * Hands a resolver's (or a guard's) exception back to GraphQL untouched, for the error formatter to
 * judge: a caller's own mistake (an unknown measure, a wrong password, a suspended tenant) goes to the
 * client with its code and is not logged as a failure, and anything else is logged once there, with
 * the request id, as INTERNAL. Without it Nest's external exception handler logs every exception a
 * resolver throws at error level with its stack, so each client error read as a fault of the service.
 * Routes that are not GraphQL keep Nest's own handling (or their controller's filter).
 */
@Catch()
export class GraphqlExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): unknown {
    // graphql-js throws an Error a resolver returns, so the field fails exactly as if it had thrown.
    if (host.getType<'http' | 'graphql'>() === 'graphql') return exception;
    return super.catch(exception, host);
  }
}
