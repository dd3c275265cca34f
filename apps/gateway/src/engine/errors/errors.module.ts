import { Module } from '@nestjs/common';
import { GraphqlErrorFormatter } from './graphql-error.formatter';

@Module({
  providers: [GraphqlErrorFormatter],
  exports: [GraphqlErrorFormatter],
})
export class ErrorsModule {}
