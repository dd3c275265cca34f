import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, startPostgres, type PostgresServer } from '@kineo/testkit';
import { createPrismaClient, DatabaseUnavailableError, migrateDatabase, TenantService, connectionFailureCode } from '../src';

const MIGRATIONS = fs
  .readdirSync(path.join(__dirname, '..', 'prisma', 'migrations'))
  .filter((d) => /^\d{14}_/.test(d))
  .sort();

describe('the metadata database', () => {
  let dir: string;
  let postgres: PostgresServer;
  const savedUrl = process.env.DATABASE_URL;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-db-'));
    fs.chmodSync(dir, 0o755);
    postgres = await startPostgres({ dataDir: path.join(dir, 'postgres') });
  });

  afterAll(async () => {
    process.env.DATABASE_URL = savedUrl;
    await postgres?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function query(database: string, text: string): Promise<Record<string, unknown>[]> {
    const client = new Client({ connectionString: postgres.url(database) });
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  }

  it('is built from nothing by the migrations, with the plans seeded, and migrating again changes nothing', async () => {
    await postgres.createDatabase('fresh');
    expect(await query('fresh', "select table_name from information_schema.tables where table_schema = 'public'")).toEqual([]);
    await migrateDatabase(postgres.url('fresh'));
    const applied = await query('fresh', 'select migration_name, finished_at is not null as finished, rolled_back_at from _prisma_migrations order by migration_name');
    expect(applied).toEqual(MIGRATIONS.map((migration_name) => ({ migration_name, finished: true, rolled_back_at: null })));
    const tables = (await query('fresh', "select table_name from information_schema.tables where table_schema = 'public' order by 1")).map((r) => r.table_name);
    expect(tables).toEqual(['_prisma_migrations', 'app_user', 'audit_event', 'build_run', 'ingestion_run', 'invitation', 'membership', 'plan', 'subscription', 'tenant']);
    expect(await query('fresh', 'select code, seat_limit from plan order by code')).toEqual([
      { code: 'enterprise', seat_limit: expect.any(Number) },
      { code: 'professional', seat_limit: expect.any(Number) },
      { code: 'starter', seat_limit: expect.any(Number) },
    ]);

    await migrateDatabase(postgres.url('fresh'));
    expect(await query('fresh', 'select count(*)::int as n from _prisma_migrations')).toEqual([{ n: MIGRATIONS.length }]);
    expect(await query('fresh', 'select count(*)::int as n from plan')).toEqual([{ n: 3 }]);

    // The schema the migrations build is the one the client was generated from.
    const prisma = createPrismaClient(postgres.url('fresh'));
    try {
      const tenant = await new TenantService(prisma).create({ slug: 'fresh-co', name: 'Fresh Co', actor: 'test' });
      expect(tenant.namespace).toMatch(/^t_/);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('reports a migration that cannot reach the database with the reason', async () => {
    const nowhere = `postgresql://postgres:postgres@127.0.0.1:${await freePort()}/kineo`;
    await expect(migrateDatabase(nowhere)).rejects.toThrow(/^database migration failed \(exit \d+\):/);
  });

  it('answers DATABASE_UNAVAILABLE, naming the database, when it does not exist', async () => {
    const url = postgres.url('missing');
    process.env.DATABASE_URL = url;
    const prisma = createPrismaClient(url);
    try {
      const error = await new TenantService(prisma).list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect(error).toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
        message: `Cannot reach the metadata database at 127.0.0.1:${postgres.port}/missing (database does not exist). Is the stack running? Start it with "kineo stack up".`,
      });
    } finally {
      await prisma.$disconnect();
    }
  });

  it('answers DATABASE_UNAVAILABLE when Postgres goes down under a client that was working', async () => {
    process.env.DATABASE_URL = postgres.url('fresh');
    const prisma = createPrismaClient(postgres.url('fresh'));
    const tenants = new TenantService(prisma);
    try {
      expect((await tenants.list()).map((t) => t.slug)).toEqual(['fresh-co']);
      await postgres.stop();
      const listing = await tenants.list().catch((e: unknown) => e);
      expect(listing).toBeInstanceOf(DatabaseUnavailableError);
      expect((listing as Error).message).toMatch(new RegExp(`^Cannot reach the metadata database at 127\\.0\\.0\\.1:${postgres.port}/fresh \\(\\w+\\)\\. Is the stack running\\?`));
      // Creating checks its input first, then meets the same clear error rather than a driver's.
      await expect(tenants.create({ slug: 'late-co', name: 'Late Co', actor: 'test' })).rejects.toBeInstanceOf(DatabaseUnavailableError);
    } finally {
      await prisma.$disconnect();
    }
  });
});

describe('recognising a connection failure', () => {
  it('finds it anywhere in the cause chain or among aggregated errors', () => {
    expect(connectionFailureCode(new Error('outer', { cause: new Error('middle', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }) }))).toBe('ECONNREFUSED');
    expect(connectionFailureCode(new AggregateError([Object.assign(new Error('connect'), { code: 'EHOSTUNREACH' })], 'all failed'))).toBe('EHOSTUNREACH');
    expect(connectionFailureCode(new Error("Can't reach database server at db:5432"))).toBe('unreachable');
    expect(connectionFailureCode(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe('57P03');
  });

  it('leaves other failures alone', () => {
    expect(connectionFailureCode(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBeUndefined();
    expect(connectionFailureCode(new Error('syntax error at or near "selec"'))).toBeUndefined();
    expect(connectionFailureCode(undefined)).toBeUndefined();
  });
});
