import { Module } from '@nestjs/common';
import { GraphqlErrorFormatter } from './graphql-error.formatter';
import { HttpErrorFilter } from './http-error.filter';

@Module({
  providers: [GraphqlErrorFormatter, HttpErrorFilter],
  exports: [GraphqlErrorFormatter, HttpErrorFilter],
})
export class ErrorsModule {}
