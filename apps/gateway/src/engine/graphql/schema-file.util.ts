import fs from 'node:fs';
import path from 'node:path';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { GATEWAY_ROOT } from '../config/gateway-root.util';

/** The SDL the portal generates its types from, offline. */
export const SCHEMA_FILE = path.join(GATEWAY_ROOT, 'schema.graphql');

export function schemaSdl(schema: GraphQLSchema): string {
  return (
    '# Generated from the gateway\'s code-first schema: npm run schema -w @kineo/gateway. Do not edit.\n\n' +
    `${printSchema(lexicographicSortSchema(schema))}\n`
  );
}

/** Writes the SDL when it changed, so watchers and git see no churn; true when it wrote. */
export function writeSchemaFile(schema: GraphQLSchema, file = SCHEMA_FILE): boolean {
  const sdl = schemaSdl(schema);
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (current === sdl) return false;
  fs.writeFileSync(file, sdl);
  return true;
}
