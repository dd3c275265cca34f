import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, createSecretStore, loadSettings } from '@kineo/config';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { createGateway } from './app';
import { SCHEMA_FILE, writeSchemaFile } from './engine/graphql/schema-file.util';

/** `npm run schema`: writes schema.graphql from the resolvers, without serving anything. */
async function main(): Promise<void> {
  // The schema needs no database or Redis; the clients are created but never used here. Production
  // settings (the schema a deployment serves) refuse to start without secrets and on the development
  // database, so it gets a throwaway signing key and a database address never dialled.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-schema-'));
  const settings = loadSettings(undefined, {
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    SECRET_STORE: 'file',
    KINEO_DATA_DIR: dataDir,
    DATABASE_URL: 'postgresql://schema:unused@schema.invalid:5432/kineo',
  });
  await createSecretStore(settings).set('auth-jwt-secret', randomBytes(48).toString('base64url'));
  const app = await createGateway(settings);
  try {
    const changed = writeSchemaFile(app.get(GraphQLSchemaHost).schema);
    process.stdout.write(`${changed ? 'wrote' : 'unchanged:'} ${SCHEMA_FILE}\n`);
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`kineo gateway schema: ${message}\n`);
  process.exit(1);
});
