#!/usr/bin/env node
// Applies every committed migration to DATABASE_URL, as migrateDatabase() does for the CLI and the
// tests: the migrations image's command (infra/docker/gateway.Dockerfile, stage `migrate`).
'use strict';

const { migrateDatabase } = require('../dist');

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set: it names the Postgres database to migrate.');
  process.exit(2);
}
const started = Date.now();
migrateDatabase(url).then(
  () => console.log(`Migrations applied to ${new URL(url).pathname.slice(1)} (${Date.now() - started} ms).`),
  (error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
