import { Injectable } from '@nestjs/common';
import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import { PinoLogger } from 'nestjs-pino';
import { toClientErrors } from './client-errors.util';

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
    return {
      statusCode: execution.data ? 200 : (statusCode ?? 200),
      response: { data: execution.data ?? null, errors },
    };
  };
}
