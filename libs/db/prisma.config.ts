import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// Everything the Prisma CLI needs to run without its native engines is here, so `npx prisma
// <command>` in this folder and `migrateDatabase()` behave alike.
//
// Prisma 6's CLI downloads a native query engine and schema engine before most commands unless it
// is told where they are; the download host is unreachable here, and neither engine is used (the
// client runs on the query compiler, migrations on the WASM schema engine over the adapter below).
// An empty placeholder file satisfies the check. Prisma 7 has no such check but its `migrate`
// commands still fetch a native schema engine, so the CLI stays on 6.19.
const placeholder = path.join(os.tmpdir(), 'kineo-prisma-engines', 'placeholder');
fs.mkdirSync(path.dirname(placeholder), { recursive: true });
if (!fs.existsSync(placeholder)) fs.writeFileSync(placeholder, '');
process.env.PRISMA_QUERY_ENGINE_LIBRARY ??= placeholder;
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= placeholder;
// No update notice and no version check-in: both are network calls that hang until they time out.
process.env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1';
process.env.CHECKPOINT_DISABLE ??= '1';

/** The same default as `DATABASE_URL` in @kineo/config, for a developer's local stack. */
const DEFAULT_DATABASE_URL = 'postgresql://postgres:postgres@127.0.0.1:54329/kineo';

// Discrete fields, as createPrismaClient() gives the adapter; the same parse as postgresConnection()
// in @kineo/config, which is not imported because `prisma generate` runs before it is built.
function connection() {
  const url = new URL(process.env.DATABASE_URL || DEFAULT_DATABASE_URL);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
  };
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'prisma', 'migrations') },
  async adapter() {
    // The CLI exits once its work is done rather than when the pool's idle connections time out (10 s
    // by default). The schema engine's own 10-second timer is dealt with in unref-engine-timers.cjs.
    return new PrismaPg({ ...connection(), allowExitOnIdle: true });
  },
});
