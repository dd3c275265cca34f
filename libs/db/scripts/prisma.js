#!/usr/bin/env node
// Runs the Prisma CLI without letting it try to download native engines (unreachable here):
// placeholder engine paths stop the download, and prisma.config.ts selects the JS engines.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

const placeholderDir = path.join(os.tmpdir(), 'kineo-prisma-engines');
fs.mkdirSync(placeholderDir, { recursive: true });
const placeholder = path.join(placeholderDir, 'placeholder');
if (!fs.existsSync(placeholder)) fs.writeFileSync(placeholder, '');

const env = {
  ...process.env,
  PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY ?? placeholder,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? placeholder,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:54329/kineo',
};
const cli = require.resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], {
  cwd: path.join(__dirname, '..'),
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
