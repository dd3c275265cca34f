import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import { isPortOpen, startTestStack, type TestStack } from '../src';

describe('the test harness', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('gives a suite a migrated Postgres with the platform tables and the seeded plans', async () => {
    const client = new Client({ connectionString: stack.databaseUrl });
    await client.connect();
    try {
      const tables = await client.query(
        "select table_name from information_schema.tables where table_schema = 'public' order by 1",
      );
      const names = tables.rows.map((r) => r.table_name);
      expect(names).toEqual(
        expect.arrayContaining(['tenant', 'plan', 'subscription', 'app_user', 'membership', 'invitation',
          'ingestion_run', 'build_run', 'audit_event', '_prisma_migrations']),
      );
      const plans = await client.query('select code from plan order by code');
      expect(plans.rows.map((r) => r.code)).toEqual(['enterprise', 'professional', 'starter']);
    } finally {
      await client.end();
    }
  });

  it('runs the Prisma CLI as a developer does, without native engines: `migrate diff` writes the schema as SQL', () => {
    // `npx prisma ...` in libs/db with only DATABASE_URL set. Prisma's download host is unreachable
    // here, so a CLI looking for its native engines would fail instead of answering: this passes
    // only while libs/db/prisma.config.ts keeps it on the WASM schema engine over the pg adapter.
    const db = path.dirname(require.resolve('@kineo/db/package.json'));
    const prisma = (...args: string[]) =>
      spawnSync(process.execPath, [require.resolve('prisma/build/index.js', { paths: [db] }), ...args], {
        cwd: db,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: stack.databaseUrl },
        encoding: 'utf8',
      });
    const diff = prisma('migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script');
    expect(diff.stderr).not.toMatch(/download|engine/i);
    expect(diff.status).toBe(0);
    for (const table of ['tenant', 'plan', 'app_user', 'membership', 'ingestion_run', 'build_run', 'audit_event']) {
      expect(diff.stdout).toContain(`CREATE TABLE "${table}" (`);
    }
    const status = prisma('migrate', 'status');
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('Database schema is up to date!');
  });

  it('gives a suite its own Redis', async () => {
    const redis = new Redis(stack.redisUrl);
    try {
      await redis.set('k', 'v');
      expect(await redis.get('k')).toBe('v');
    } finally {
      redis.disconnect();
    }
  });

  it('leaves nothing running or on disk after stop', async () => {
    const other = await startTestStack({ migrate: false });
    const { dir } = other;
    const pgPort = other.postgres.port;
    const redisPort = other.redis.port;
    await other.stop();
    expect(fs.existsSync(dir)).toBe(false);
    expect(await isPortOpen(pgPort)).toBe(false);
    expect(await isPortOpen(redisPort)).toBe(false);
  });
});
