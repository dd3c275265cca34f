import { ConfigError, loadSettings } from '@kineo/config';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { createGateway } from './app';
import { SCHEMA_FILE, writeSchemaFile } from './engine/graphql/schema-file.util';

/** `npm run schema`: writes schema.graphql from the resolvers, without serving anything. */
async function main(): Promise<void> {
  // The schema needs no database or Redis; the clients are created but never used here.
  const settings = loadSettings(undefined, { NODE_ENV: 'production', LOG_LEVEL: 'silent' });
  const app = await createGateway(settings);
  try {
    const changed = writeSchemaFile(app.get(GraphQLSchemaHost).schema);
    process.stdout.write(`${changed ? 'wrote' : 'unchanged:'} ${SCHEMA_FILE}\n`);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`kineo gateway schema: ${message}\n`);
  process.exit(1);
});
