import { Injectable } from '@nestjs/common';
import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import { PinoLogger } from 'nestjs-pino';
import { RETRY_AFTER_UNAVAILABLE_SECONDS, SERVICE_UNAVAILABLE, toClientErrors } from './client-errors.util';

type FailedExecution = ExecutionResult & Required<Pick<ExecutionResult, 'errors'>>;

/** Mercurius's errorFormatter: the one place GraphQL errors are turned into what a client sees. */
@Injectable()
export class GraphqlErrorFormatter {
  constructor(private readonly logger: PinoLogger) {
    this.logger.setContext('GraphQL');
  }

  readonly format = (
    execution: FailedExecution,
    context: MercuriusContext,
  ): { statusCode: number; response: FormattedExecutionResult } => {
    const requestId = String(context.reply?.request?.id ?? 'unknown');
    const { errors, hidden, statusCode } = toClientErrors(execution.errors, requestId);
    for (const error of hidden) {
      this.logger.error(
        { err: error.originalError ?? error, path: error.path?.join('.') },
        `GraphQL operation failed: ${error.message}`,
      );
    }
    // Only a dependency being down (Postgres) failed the request: 503 tells load balancers, proxies
    // and clients to retry rather than to show the answer; the body still says which fields failed.
    if (errors.length > 0 && errors.every((e) => e.extensions?.code === SERVICE_UNAVAILABLE)) {
      void context.reply?.header('retry-after', String(RETRY_AFTER_UNAVAILABLE_SECONDS));
      return { statusCode: 503, response: { data: execution.data ?? null, errors } };
    }
    return {
      statusCode: execution.data ? 200 : (statusCode ?? 200),
      response: { data: execution.data ?? null, errors },
    };
  };
}
