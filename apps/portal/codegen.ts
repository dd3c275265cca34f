import type { CodegenConfig } from '@graphql-codegen/cli';

// Types come from the gateway's SDL file, never from a running server, so a build needs no network
// and a change to the schema that breaks an operation fails the build.
const schema = '../gateway/schema.graphql';
const common = {
  preset: 'client' as const,
  config: {
    documentMode: 'string' as const,
    enumsAsTypes: true,
    useTypeImports: true,
    scalars: { DateTime: 'string' },
  },
};

const config: CodegenConfig = {
  schema,
  ignoreNoDocuments: true,
  generates: {
    // Operations the browser may run: only these reach the gateway through /api/graphql, looked up
    // by hash in persisted-documents.json, so the proxy never forwards a document a page did not ship.
    './generated/browser/': {
      ...common,
      documents: ['app/**/*.{ts,tsx}', '!app/_server/**'],
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' } },
    },
    // Operations only the portal's server runs (sign-in, who is signed in): kept out of the browser's list.
    './generated/server/': {
      ...common,
      documents: ['app/_server/**/*.ts'],
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
