import { Client } from 'pg';
import { namespaceForTenantSeq } from '@kineo/warehouse';
import { freePort, startTestStack, type TestStack } from '@kineo/testkit';
import { AuditLog, createPrismaClient, DomainError, slugProblem, TenantError, TenantService, type PrismaClient } from '../src';

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

describe('TenantService on real Postgres', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let tenants: TenantService;

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl);
    tenants = new TenantService(prisma);
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await stack?.stop();
  });

  async function sql<T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: stack.databaseUrl });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  it('creates a tenant on the starter plan with a namespace from its sequence number, and audits it', async () => {
    const tenant = await tenants.create({ slug: 'acme', name: '  Acme Health  ', actor: 'cli:root' });
    expect(tenant).toMatchObject({ slug: 'acme', name: 'Acme Health', status: 'provisioning', fiscalYearStartMonth: 1, warehouseEngine: 'duckdb', dataVersion: 0 });
    expect(tenant.namespace).toBe(namespaceForTenantSeq(tenant.seq));
    expect(tenant.subscriptions.map((s) => [s.planCode, s.status, s.plan.name])).toEqual([['starter', 'active', 'Starter']]);
    const audit = await new AuditLog(prisma).forTenant(tenant.id);
    expect(audit.map((a) => [a.actor, a.action, a.details])).toEqual([
      ['cli:root', 'tenant.created', { slug: 'acme', name: 'Acme Health', plan: 'starter', namespace: tenant.namespace }],
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
});
