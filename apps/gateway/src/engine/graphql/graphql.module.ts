import { Logger, Module } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { NoSchemaIntrospectionCustomRule, type GraphQLSchema } from 'graphql';
import { SETTINGS } from '../config/settings.module';
import { ErrorsModule } from '../errors/errors.module';
import { GraphqlErrorFormatter } from '../errors/graphql-error.formatter';
import { MAX_QUERY_DEPTH, queryLimitsRule } from './query-limits.util';
import { writeSchemaFile } from './schema-file.util';

export const GRAPHQL_PATH = '/graphql';

/** Code-first GraphQL on Mercurius; the schema is built in memory from the resolvers. */
@Module({
  imports: [
    GraphQLModule.forRootAsync<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      imports: [ErrorsModule],
      inject: [SETTINGS, GraphqlErrorFormatter],
      useFactory: (settings: Settings, formatter: GraphqlErrorFormatter): MercuriusDriverConfig => ({
        path: GRAPHQL_PATH,
        autoSchemaFile: true,
        sortSchema: true,
        graphiql: false,
        errorFormatter: formatter.format,
        // Refused before anything runs: too deep, too many fields, too many aliases.
        queryDepth: MAX_QUERY_DEPTH,
        // In production the schema is not handed to strangers; the portal is built against schema.graphql.
        validationRules: settings.NODE_ENV === 'production' ? [queryLimitsRule(), NoSchemaIntrospectionCustomRule] : [queryLimitsRule()],
        // One operation per request: a batch would multiply every per-request limit above.
        allowBatchedQueries: false,
        transformSchema: (schema: GraphQLSchema) => {
          // Keeps schema.graphql current while developing; elsewhere `npm run schema` writes it.
          if (settings.NODE_ENV === 'development') {
            try {
              writeSchemaFile(schema);
            } catch (error) {
              // A read-only checkout must not stop the gateway from serving.
              new Logger('GraphQL').warn(`Could not write schema.graphql: ${(error as Error).message}`);
            }
          }
          return schema;
        },
      }),
    }),
  ],
})
export class GatewayGraphqlModule {}
