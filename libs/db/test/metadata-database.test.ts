import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, startPostgres, type PostgresServer } from '@kineo/devstack';
import { DomainError } from '@kineo/errors';
import { namespaceForTenantSeq, slugProblem } from '@kineo/tenancy';
import {
  AuditLog,
  connectionFailureCode,
  createPrismaClient,
  DatabaseUnavailableError,
  migrateDatabase,
  Prisma,
  publishedRollupsOf,
  recordPublishedRollups,
  TenantError,
  TenantService,
  type PrismaClient,
} from '../src';

const MIGRATIONS = fs
  .readdirSync(path.join(__dirname, '..', 'prisma', 'migrations'))
  .filter((d) => /^\d{14}_/.test(d))
  .sort();

async function errorOf(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('tenant slugs', () => {
  it.each([
    ['acme', undefined],
    ['acme-health-2', undefined],
    ['a1b', undefined],
    ['ab', 'is 2 characters long; a slug has 3 to 40'],
    ['a'.repeat(41), 'is 41 characters long; a slug has 3 to 40'],
    ['acme health', 'contains spaces; use hyphens between words (for example "acme-health")'],
    ['Acme', 'contains upper-case letters; use "acme"'],
    ['1acme', 'may contain only lower-case letters, digits and hyphens, must start with a letter and must not end with a hyphen'],
    ['acme-', 'may contain only lower-case letters, digits and hyphens, must start with a letter and must not end with a hyphen'],
    ['acme_health', 'may contain only lower-case letters, digits and hyphens, must start with a letter and must not end with a hyphen'],
    ['acme--health', 'must not contain two hyphens in a row'],
  ])('"%s": %s', (slug, problem) => {
    expect(slugProblem(slug)).toBe(problem);
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

/** One real Postgres for the suite: migrated from empty first, stopped by the last test. */
describe('the metadata database', () => {
  let dir: string;
  let postgres: PostgresServer;
  const savedUrl = process.env.DATABASE_URL;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-db-'));
    fs.chmodSync(dir, 0o755);
    postgres = await startPostgres({ dataDir: path.join(dir, 'postgres') });
    await postgres.createDatabase('kineo');
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
    expect(await query('kineo', "select table_name from information_schema.tables where table_schema = 'public'")).toEqual([]);
    await migrateDatabase(postgres.url('kineo'));
    const applied = await query('kineo', 'select migration_name, finished_at is not null as finished, rolled_back_at from _prisma_migrations order by migration_name');
    expect(applied).toEqual(MIGRATIONS.map((migration_name) => ({ migration_name, finished: true, rolled_back_at: null })));
    const tables = (await query('kineo', "select table_name from information_schema.tables where table_schema = 'public' order by 1")).map((r) => r.table_name);
    expect(tables).toEqual([
      '_prisma_migrations', 'app_user', 'audit_event', 'build_run', 'gold_rebuild', 'ingestion_run', 'invitation', 'membership',
      'oidc_provider', 'password_reset', 'plan', 'published_rollups', 'refresh_token', 'saved_view', 'session', 'subscription', 'tenant', 'viewer_grant',
    ]);
    expect(await query('kineo', 'select code, seat_limit from plan order by code')).toEqual([
      { code: 'enterprise', seat_limit: expect.any(Number) },
      { code: 'professional', seat_limit: expect.any(Number) },
      { code: 'starter', seat_limit: expect.any(Number) },
    ]);

    // Again, as the migrations image runs it (infra/docker/gateway.Dockerfile, stage `migrate`).
    const again = spawnSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'migrate.js')], {
      env: { ...process.env, DATABASE_URL: postgres.url('kineo') },
      encoding: 'utf8',
    });
    expect(again.stderr).toBe('');
    expect(again.stdout).toMatch(/^Migrations applied to kineo \(\d+ ms\)\.\n$/);
    expect(again.status).toBe(0);
    expect(await query('kineo', 'select count(*)::int as n from _prisma_migrations')).toEqual([{ n: MIGRATIONS.length }]);
    expect(await query('kineo', 'select count(*)::int as n from plan')).toEqual([{ n: 3 }]);
  });

  it('reports a migration that cannot reach the database with the reason', async () => {
    const nowhere = `postgresql://postgres:postgres@127.0.0.1:${await freePort()}/kineo`;
    await expect(migrateDatabase(nowhere)).rejects.toThrow(/^database migration failed \(exit \d+\):[\s\S]*Can't reach database server/);
    const script = path.join(__dirname, '..', 'scripts', 'migrate.js');
    const unset = spawnSync(process.execPath, [script], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect([unset.status, unset.stderr]).toEqual([2, 'DATABASE_URL is not set: it names the Postgres database to migrate.\n']);
  });

  describe('TenantService', () => {
    let prisma: PrismaClient;
    let tenants: TenantService;

    beforeAll(() => {
      prisma = createPrismaClient(postgres.url('kineo'));
      tenants = new TenantService(prisma);
    });

    afterAll(async () => {
      await prisma?.$disconnect();
    });

    async function sql<T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
      const client = new Client({ connectionString: postgres.url('kineo') });
      await client.connect();
      try {
        return (await client.query(text, params)).rows as T[];
      } finally {
        await client.end();
      }
    }

    it('creates a tenant on the starter plan with a namespace from its sequence number, and audits it', async () => {
      const tenant = await tenants.create({ slug: 'acme', name: '  Acme Health  ', actor: 'cli:root' });
      expect(tenant).toMatchObject({ slug: 'acme', name: 'Acme Health', status: 'provisioning', fiscalYearStartMonth: 1, warehouseEngine: 'duckdb', dataVersion: 0, locale: 'en-GB' });
      expect(tenant.namespace).toBe(namespaceForTenantSeq(tenant.seq));
      expect(tenant.subscriptions.map((s) => [s.planCode, s.status, s.plan.name])).toEqual([['starter', 'active', 'Starter']]);
      const audit = await new AuditLog(prisma).forTenant(tenant.id);
      expect(audit.map((a) => [a.actor, a.action, a.details])).toEqual([
        ['cli:root', 'tenant.created', { slug: 'acme', name: 'Acme Health', plan: 'starter', namespace: tenant.namespace, locale: 'en-GB' }],
      ]);
    });

    it('gives each tenant its own namespace, in the order they were created', async () => {
      const a = await tenants.create({ slug: 'beta-one', name: 'Beta One', planCode: 'enterprise', fiscalYearStartMonth: 7, actor: 'test' });
      const b = await tenants.create({ slug: 'beta-two', name: 'Beta Two', warehouseEngine: 'databricks', actor: 'test' });
      expect(b.seq).toBeGreaterThan(a.seq);
      expect(new Set([a.namespace, b.namespace]).size).toBe(2);
      expect(a).toMatchObject({ fiscalYearStartMonth: 7, subscriptions: [expect.objectContaining({ planCode: 'enterprise' })] });
      expect(b.warehouseEngine).toBe('databricks');
      expect((await tenants.list()).map((t) => t.slug)).toEqual(['acme', 'beta-one', 'beta-two']);
    });

    it('refuses a slug that is taken, also when two requests race for it, leaving one tenant', async () => {
      const taken = await errorOf(tenants.create({ slug: 'acme', name: 'Other Acme', actor: 'test' }));
      expect(taken).toMatchObject({ code: 'TENANT_SLUG_TAKEN', message: 'A tenant with slug "acme" already exists.' });
      const outcomes = await Promise.allSettled([1, 2, 3].map((n) => tenants.create({ slug: 'racer', name: `Racer ${n}`, actor: 'test' })));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
        expect(o.reason).toMatchObject({ code: 'TENANT_SLUG_TAKEN' });
      }
      expect(await sql("select count(*)::int as n from tenant where slug = 'racer'")).toEqual([{ n: 1 }]);
      expect(await sql("select count(*)::int as n from audit_event where action = 'tenant.created' and details->>'slug' = 'racer'")).toEqual([{ n: 1 }]);
    });

    it('refuses bad input before it reaches the database, naming what is wrong', async () => {
      // A client for a port nothing listens on: any query would fail as DATABASE_UNAVAILABLE.
      const offline = new TenantService(createPrismaClient(`postgresql://postgres:postgres@127.0.0.1:${await freePort()}/kineo`));
      expect(await errorOf(offline.create({ slug: 'Acme Health', name: 'x', actor: 'test' }))).toMatchObject({
        code: 'TENANT_SLUG_INVALID',
        message: 'Invalid tenant slug "Acme Health": it contains spaces; use hyphens between words (for example "acme-health").',
      });
      expect(await errorOf(offline.create({ slug: 'blank', name: '   ', actor: 'test' }))).toMatchObject({ code: 'TENANT_NAME_INVALID' });
      expect(await errorOf(offline.create({ slug: 'fiscal', name: 'Fiscal', fiscalYearStartMonth: 13, actor: 'test' }))).toMatchObject({
        code: 'TENANT_FISCAL_MONTH_INVALID',
        message: 'Fiscal-year start month must be 1 to 12, got 13.',
      });
    });

    it('names the plans there are when asked for one there is not', async () => {
      expect(await errorOf(tenants.create({ slug: 'gamma', name: 'Gamma', planCode: 'platinum', actor: 'test' }))).toMatchObject({
        code: 'PLAN_UNKNOWN',
        message: 'Unknown plan "platinum". Plans: enterprise, professional, starter.',
      });
      expect(await sql("select count(*)::int as n from tenant where slug = 'gamma'")).toEqual([{ n: 0 }]);
    });

    it('creates nothing when the audit record cannot be written: tenant, subscription and audit are one transaction', async () => {
      await sql(`create function refuse_audit() returns trigger language plpgsql as $$
        begin raise exception 'audit store refused the record'; end $$`);
      await sql("create trigger refuse_audit before insert on audit_event for each row when (new.actor = 'refused') execute function refuse_audit()");
      try {
        await expect(tenants.create({ slug: 'delta', name: 'Delta', actor: 'refused' })).rejects.toThrow(/audit store refused the record/);
        expect(await sql("select count(*)::int as n from tenant where slug = 'delta'")).toEqual([{ n: 0 }]);
        expect(await sql("select count(*)::int as n from subscription s join tenant t on t.id = s.tenant_id where t.slug = 'delta'")).toEqual([{ n: 0 }]);
      } finally {
        await sql('drop trigger refuse_audit on audit_event');
        await sql('drop function refuse_audit');
      }
      const delta = await tenants.create({ slug: 'delta', name: 'Delta', actor: 'test' });
      expect(delta.status).toBe('provisioning');
    });

    it('activates a tenant and audits it; an unknown slug is TENANT_NOT_FOUND', async () => {
      const acme = await tenants.get('acme');
      const active = await tenants.markActive(acme.id, 'worker');
      expect(active.status).toBe('active');
      expect((await tenants.get('acme')).status).toBe('active');
      const [latest] = await new AuditLog(prisma).forTenant(acme.id, 1);
      expect(latest).toMatchObject({ actor: 'worker', action: 'tenant.activated', details: { namespace: acme.namespace } });
      const missing = await errorOf(tenants.get('nobody'));
      expect(missing).toBeInstanceOf(TenantError);
      expect(missing).toMatchObject({ code: 'TENANT_NOT_FOUND', message: 'No tenant with slug "nobody".' });
    });

    it('keeps audit records newest first, per tenant, and records system events without one', async () => {
      const audit = new AuditLog(prisma);
      const acme = await tenants.get('acme');
      await audit.record({ actor: 'ops', action: 'tenant.note', tenantId: acme.id, details: { n: 1 } });
      await audit.record({ actor: 'ops', action: 'tenant.note', tenantId: acme.id, details: { n: 2 } });
      await audit.record({ actor: 'cli:root', action: 'stack.started' });
      const recent = await audit.forTenant(acme.id, 2);
      expect(recent.map((a) => a.details)).toEqual([{ n: 2 }, { n: 1 }]);
      expect(await sql("select tenant_id, details from audit_event where action = 'stack.started'")).toEqual([{ tenant_id: null, details: {} }]);
    });

    it("records a published version's rollup manifest per tenant, only moving forward", async () => {
      const acme = await tenants.get('acme');
      const entry = (signature: string) => ({ rollup: 'CourseProgress.summary', table: 'rollup_course_progress_summary', signature, asOfKey: 20260101, rows: 3 });
      expect(await publishedRollupsOf(prisma, [acme.id])).toEqual(new Map());
      await recordPublishedRollups(prisma, acme.id, 2, [entry('v2')]);
      // A slower writer of an older version (a scan that read it before the publish) changes nothing.
      await recordPublishedRollups(prisma, acme.id, 1, [entry('v1')]);
      expect((await publishedRollupsOf(prisma, [acme.id])).get(acme.id)).toMatchObject({ dataVersion: 2, manifest: [entry('v2')] });
      await recordPublishedRollups(prisma, acme.id, 3, []);
      expect((await publishedRollupsOf(prisma, [acme.id])).get(acme.id)).toMatchObject({ dataVersion: 3, manifest: [], goldColumns: null });

      // Its gold columns: kept by a writer of the same version that did not read them (a gateway),
      // added to by one that read other tables (a release reading a new one), dropped by a newer version.
      await recordPublishedRollups(prisma, acme.id, 3, [], { dim_user: ['user_key', 'username'], fact_course_history: null });
      await recordPublishedRollups(prisma, acme.id, 3, [entry('v3')]);
      expect((await publishedRollupsOf(prisma, [acme.id])).get(acme.id)).toMatchObject({ manifest: [entry('v3')], goldColumns: { dim_user: ['user_key', 'username'], fact_course_history: null } });
      await recordPublishedRollups(prisma, acme.id, 3, [entry('v3')], { dim_course: ['course_key'] });
      expect((await publishedRollupsOf(prisma, [acme.id])).get(acme.id)?.goldColumns).toEqual({ dim_course: ['course_key'], dim_user: ['user_key', 'username'], fact_course_history: null });
      await recordPublishedRollups(prisma, acme.id, 2, [entry('v2')], { dim_user: ['user_key'] });
      expect((await publishedRollupsOf(prisma, [acme.id])).get(acme.id)).toMatchObject({ dataVersion: 3, goldColumns: { dim_user: ['user_key', 'username'] } });
      await recordPublishedRollups(prisma, acme.id, 4, [entry('v4')]);
      expect((await publishedRollupsOf(prisma, [acme.id])).get(acme.id)).toMatchObject({ dataVersion: 4, goldColumns: null });
      // A writer of the release before gold columns (a rolling deploy) moves the version and leaves
      // them as they were: they are of the version before, so they read as not recorded.
      await recordPublishedRollups(prisma, acme.id, 4, [entry('v4')], { dim_user: ['user_key'] });
      await prisma.$executeRaw`
        insert into published_rollups (tenant_id, data_version, manifest, recorded_at) values (${acme.id}::uuid, 5, '[]'::jsonb, now())
        on conflict (tenant_id) do update set data_version = excluded.data_version, manifest = excluded.manifest, recorded_at = excluded.recorded_at
        where published_rollups.data_version <= excluded.data_version`;
      expect((await publishedRollupsOf(prisma, [acme.id])).get(acme.id)).toMatchObject({ dataVersion: 5, goldColumns: null });
      await recordPublishedRollups(prisma, acme.id, 5, []);
      expect((await publishedRollupsOf(prisma, [acme.id])).get(acme.id)).toMatchObject({ dataVersion: 5, goldColumns: null });
      await recordPublishedRollups(prisma, acme.id, 5, [], { dim_course: ['course_key'] });
      expect((await publishedRollupsOf(prisma, [acme.id])).get(acme.id)?.goldColumns).toEqual({ dim_course: ['course_key'] });
      // Columns cleared by hand (to have the next start read the version again) are recorded anew.
      await prisma.publishedRollups.update({ where: { tenantId: acme.id }, data: { goldColumns: Prisma.DbNull } });
      expect((await publishedRollupsOf(prisma, [acme.id])).get(acme.id)?.goldColumns).toBeNull();
      await recordPublishedRollups(prisma, acme.id, 5, [], { dim_user: ['user_key'] });
      expect((await publishedRollupsOf(prisma, [acme.id])).get(acme.id)?.goldColumns).toEqual({ dim_user: ['user_key'] });
    });
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
    process.env.DATABASE_URL = postgres.url('kineo');
    const prisma = createPrismaClient(postgres.url('kineo'));
    const tenants = new TenantService(prisma);
    try {
      expect(await prisma.$queryRaw`select 1 as up`).toEqual([{ up: 1 }]);
      await postgres.stop();
      const listing = await tenants.list().catch((e: unknown) => e);
      expect(listing).toBeInstanceOf(DatabaseUnavailableError);
      expect((listing as Error).message).toMatch(new RegExp(`^Cannot reach the metadata database at 127\\.0\\.0\\.1:${postgres.port}/kineo \\(\\w+\\)\\. Is the stack running\\?`));
      // Creating checks its input first, then meets the same clear error rather than a driver's.
      await expect(tenants.create({ slug: 'late-co', name: 'Late Co', actor: 'test' })).rejects.toBeInstanceOf(DatabaseUnavailableError);
    } finally {
      await prisma.$disconnect();
    }
  });
});
