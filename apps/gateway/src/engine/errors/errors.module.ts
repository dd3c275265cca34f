import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphqlErrorFormatter } from './graphql-error.formatter';
import { GraphqlExceptionFilter } from './graphql-exception.filter';
import { HttpErrorFilter } from './http-error.filter';

@Module({
  providers: [GraphqlErrorFormatter, HttpErrorFilter, { provide: APP_FILTER, useClass: GraphqlExceptionFilter }],
  exports: [GraphqlErrorFormatter, HttpErrorFilter],
})
export class ErrorsModule {}
