import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserService } from '@kineo/auth';
import { createSecretStore, loadSettings } from '@kineo/config';
import { createPrismaClient, recordPublishedRollups, setLandingRetention, StageRecorder, TenantService, type PrismaClient, type Tenant } from '@kineo/db';
import { JobQueues, offboardTenantJob, provisionTenantJob, refreshRollupsJob } from '@kineo/jobs';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { createWarehouse, duckdbDialect } from '@kineo/warehouse';
import { rollupModels } from '@kineo/analytics';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { graphql, startGateway } from './support/gateway';

const PASSWORD = 'correct horse battery staple';

type Errors = Array<{ message: string; extensions?: Record<string, unknown> }>;

describe('Kineo ops over GraphQL: the fleet and the life of a tenant', () => {
  let stack: TestStack;
  let app: NestFastifyApplication;
  let prisma: PrismaClient;
  let queues: JobQueues;
  let acme: Tenant;
  let opsUserId: string;
  const tokens: Record<string, string> = {};

  const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
  const ops = <T>(query: string) => graphql<T>(app, query, as('ops'));
  const codes = (errors: Errors | undefined) => (errors ?? []).map((e) => e.extensions?.code);
  const auditActions = async (tenantId: string) =>
    (await prisma.auditEvent.findMany({ where: { tenantId }, orderBy: { id: 'asc' } })).map((e) => ({ action: e.action, actor: e.actor }));

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    queues = new JobQueues(stack.redisUrl);
    const tenants = new TenantService(prisma);
    for (const [slug, name] of [['acme', 'Acme Health'], ['globex', 'Globex'], ['initech', 'Initech'], ['umbrella', 'Umbrella Corp']] as const) {
      const tenant = await tenants.create({ slug, name, actor: 'test' });
      await tenants.markActive(tenant.id, 'test');
    }
    acme = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
    const users = new UserService(prisma);
    const ops = await users.create({ email: 'ops@kineo.test', password: PASSWORD, grant: { ops: true }, actor: 'test' });
    opsUserId = ops.user.id;
    await users.create({ email: 'admin@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'org_admin' }, actor: 'test' });

    app = await startGateway(stack);
    for (const [who, email] of [['ops', 'ops@kineo.test'], ['admin', 'admin@acme.test']] as const) {
      const reply = await graphql<{ login: { token: string } }>(app, `mutation { login(email: "${email}", password: "${PASSWORD}") { token } }`);
      tokens[who] = reply.body.data!.login.token;
    }
  });

  afterAll(async () => {
    await app?.close();
    await queues?.close();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it('refuses the fleet to an org admin (FORBIDDEN) and to an anonymous caller (UNAUTHENTICATED)', async () => {
    const admin = await graphql(app, '{ fleet { items { slug } } }', as('admin'));
    const anonymous = await graphql(app, '{ fleet { items { slug } } }');
    const mutation = await graphql(app, 'mutation { suspendTenant(slug: "globex") { status } }', as('admin'));

    expect(admin.body.errors).toEqual([expect.objectContaining({ message: 'This needs a Kineo ops session; you are org_admin.', extensions: { code: 'FORBIDDEN' } })]);
    expect(codes(anonymous.body.errors)).toEqual(['UNAUTHENTICATED']);
    expect(codes(mutation.body.errors)).toEqual(['FORBIDDEN']);
    expect((await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' } })).status).toBe('active');
  });

  it('pages the fleet by slug and searches slugs and names', async () => {
    type Fleet = { fleet: { items: { slug: string; plan: { code: string; seatLimit: number; rowLimit: number } }[]; endCursor: string | null; hasNextPage: boolean } };
    const first = await ops<Fleet>('{ fleet(first: 2) { items { slug plan { code seatLimit rowLimit } } endCursor hasNextPage } }');
    const rest = await ops<Fleet>(`{ fleet(first: 10, after: ${JSON.stringify(first.body.data!.fleet.endCursor)}) { items { slug } endCursor hasNextPage } }`);
    const search = await ops<Fleet>('{ fleet(search: "CORP") { items { slug } hasNextPage } }');

    expect(first.body.data!.fleet).toMatchObject({
      items: [
        { slug: 'acme', plan: { code: 'starter', seatLimit: 50, rowLimit: 10_000_000 } },
        { slug: 'globex', plan: { code: 'starter' } },
      ],
      hasNextPage: true,
    });
    expect(rest.body.data!.fleet.items.map((t) => t.slug)).toEqual(expect.arrayContaining(['initech', 'umbrella']));
    expect(rest.body.data!.fleet.items.map((t) => t.slug)).not.toContain('acme');
    expect(rest.body.data!.fleet.hasNextPage).toBe(false);
    expect(search.body.data!.fleet).toEqual({ items: [{ slug: 'umbrella' }], hasNextPage: false });
  });

  it('refuses a page size out of bounds and a cursor it did not hand out, naming the argument', async () => {
    const big = await ops('{ fleet(first: 1000) { items { slug } } }');
    const forged = await ops('{ fleet(after: "bm90IGEgY3Vyc29y") { items { slug } } }');

    expect(big.body.errors).toEqual([expect.objectContaining({ message: '"first" must be a whole number from 1 to 100, got 1000.', extensions: { code: 'BAD_USER_INPUT', argument: 'first' } })]);
    expect(forged.body.errors![0]!.message).toMatch(/^"after" is not a cursor from a previous page/);
  });

  it('reports storage as the bytes of the tenant\'s DuckDB folder: 0 before provisioning, its files after', async () => {
    const warehouse = await createWarehouse(loadSettings(stack.env), createSecretStore(loadSettings(stack.env)), 'worker');
    try {
      await warehouse.provision({ tenantId: acme.id, namespace: acme.namespace });
      await warehouse.execute({ tenantId: acme.id, namespace: acme.namespace }, 'create table bronze.padding as select range as n from range(50000)');
    } finally {
      await warehouse.close();
    }
    type Storage = { fleet: { items: { slug: string; storageBytes: number; rows: number | null; dataVersion: number; lastLoad: null; lastBuild: null }[] } };
    const reply = await ops<Storage>('{ fleet(first: 2) { items { slug storageBytes rows dataVersion lastLoad { id } lastBuild { id } } } }');

    const [acmeView, globexView] = reply.body.data!.fleet.items;
    expect(acmeView!.storageBytes).toBeGreaterThan(100_000);
    expect(globexView).toEqual({ slug: 'globex', storageBytes: 0, rows: null, dataVersion: 0, lastLoad: null, lastBuild: null });
  });

  it("shows no gold rows for an offboarded tenant, whose data is removed, and its last version's number", async () => {
    const tenants = new TenantService(prisma);
    const gone = await tenants.create({ slug: 'soylent', name: 'Soylent', actor: 'test' });
    await prisma.buildRun.create({
      data: { tenantId: gone.id, kind: 'build', status: 'succeeded', dataVersion: 2, stages: [{ stage: 'publish', status: 'succeeded', details: { rows: 1234 } }] },
    });
    await prisma.tenant.update({ where: { id: gone.id }, data: { dataVersion: 2, status: 'active' } });
    type Shown = { tenant: { rows: number | null; dataVersion: number; status: string } };
    const shown = () => ops<Shown>('{ tenant(slug: "soylent") { rows dataVersion status } }');
    expect((await shown()).body.data!.tenant).toEqual({ rows: 1234, dataVersion: 2, status: 'active' });
    await prisma.tenant.update({ where: { id: gone.id }, data: { status: 'offboarded' } });
    expect((await shown()).body.data!.tenant).toEqual({ rows: null, dataVersion: 2, status: 'offboarded' });
    // Nobody joins an offboarded tenant: a conflict with its status, not a refused session.
    const invited = await ops('mutation { inviteTenantAdmin(slug: "soylent", email: "late@soylent.test") { link } }');
    expect(invited.body.errors).toEqual([
      expect.objectContaining({
        message: 'Tenant "soylent" is offboarded and takes no one new; provision a new tenant to bring the organisation back.',
        extensions: expect.objectContaining({ code: 'TENANT_STATUS_CONFLICT' }),
      }),
    ]);
  });

  it("counts a version's data rows (facts and dimensions) as its build counted them, keeps them across a rollups refresh, and names the run that published it", async () => {
    const tenants = new TenantService(prisma);
    const made = await tenants.create({ slug: 'refreshed', name: 'Refreshed', actor: 'test' });
    await tenants.markActive(made.id, 'test');
    // Version 1 by a load's build, which counted gold table by table; version 2 by a rollups refresh, which counted nothing.
    const goldRows = { fact_course_progress: 1200, dim_user: 300, dim_course: 40, dim_date: 7305, rollup_completions_by_month: 96, rollup_manifest: 12 };
    await prisma.buildRun.create({
      data: { tenantId: made.id, kind: 'load', status: 'succeeded', dataVersion: 1, finishedAt: new Date('2026-12-07T04:44:00Z'), stages: [{ stage: 'publish', status: 'succeeded', details: { version: 1, rows: 8953, goldRows } }] },
    });
    const refresh = await prisma.buildRun.create({
      data: { tenantId: made.id, kind: 'rollups', status: 'succeeded', dataVersion: 2, finishedAt: new Date('2026-12-07T07:49:00Z'), stages: [{ stage: 'publish', status: 'succeeded', details: { version: 2, from: 1 } }] },
    });
    await prisma.tenant.update({ where: { id: made.id }, data: { dataVersion: 2 } });

    type Shown = { rows: number | null; dataVersion: number; lastBuild: { kind: string; dataVersion: number } | null; publishedBy: { id: string; kind: string; dataVersion: number } | null };
    const fields = 'rows dataVersion lastBuild { kind dataVersion } publishedBy { id kind dataVersion }';
    const fleet = await ops<{ fleet: { items: Shown[] } }>(`{ fleet(search: "refreshed") { items { ${fields} } } }`);
    const page = await ops<{ tenant: Shown }>(`{ tenant(slug: "refreshed") { ${fields} } }`);

    const expected = { rows: 1540, dataVersion: 2, lastBuild: { kind: 'load', dataVersion: 1 }, publishedBy: { id: refresh.id, kind: 'rollups', dataVersion: 2 } };
    expect(fleet.body.data!.fleet.items).toEqual([expected]);
    expect(page.body.data!.tenant).toEqual(expected);
  });

  it('searches for "%" and "_" as the characters they are, not as wildcards matching every tenant', async () => {
    const search = async (text: string) => (await ops<{ fleet: { items: { slug: string }[] } }>(`{ fleet(search: ${JSON.stringify(text)}) { items { slug } } }`)).body.data!.fleet.items;

    expect(await search('%')).toEqual([]);
    expect(await search('_')).toEqual([]);
    expect(await search('gl_bex')).toEqual([]);
    expect(await search('lobe')).toEqual([{ slug: 'globex' }]);
  });

  describe('provisionTenant', () => {
    it('creates the tenant as `kineo tenant create` does, queues its provisioning and audits the ops user', async () => {
      const reply = await ops<{ provisionTenant: { jobId: string; tenant: { slug: string; name: string; status: string; fiscalYearStartMonth: number; plan: { code: string } } } }>(
        'mutation { provisionTenant(input: { slug: "hooli", name: "Hooli", plan: "professional", fiscalStartMonth: 7 }) { jobId tenant { slug name status fiscalYearStartMonth plan { code } } } }',
      );

      const { jobId, tenant } = reply.body.data!.provisionTenant;
      expect(tenant).toEqual({ slug: 'hooli', name: 'Hooli', status: 'provisioning', fiscalYearStartMonth: 7, plan: { code: 'professional' } });
      const job = await queues.queue(provisionTenantJob.queue).getJob(jobId);
      const created = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'hooli' } });
      expect(job?.data).toEqual({ v: 1, data: { tenantId: created.id, requestedBy: opsUserId } });
      expect(await auditActions(created.id)).toEqual([{ action: 'tenant.created', actor: opsUserId }]);
    });

    it('refuses a bad slug, a month out of range and an unknown plan with what is wrong, creating nothing', async () => {
      const badSlug = await ops('mutation { provisionTenant(input: { slug: "Big Co", name: "Big" }) { jobId } }');
      const badMonth = await ops('mutation { provisionTenant(input: { slug: "bigco", name: "Big", fiscalStartMonth: 13 }) { jobId } }');
      const badPlan = await ops('mutation { provisionTenant(input: { slug: "bigco", name: "Big", plan: "platinum" }) { jobId } }');
      const taken = await ops('mutation { provisionTenant(input: { slug: "acme", name: "Acme again" }) { jobId } }');

      expect(badSlug.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'TENANT_SLUG_INVALID' }, message: expect.stringContaining('contains spaces') })]);
      expect(badMonth.body.errors).toEqual([expect.objectContaining({ message: '"fiscalStartMonth" is a month from 1 to 12.', extensions: { code: 'BAD_USER_INPUT', argument: 'input.fiscalStartMonth' } })]);
      expect(badPlan.body.errors).toEqual([expect.objectContaining({ message: 'Unknown plan "platinum". Plans: enterprise, professional, starter.', extensions: { code: 'PLAN_UNKNOWN' } })]);
      expect(codes(taken.body.errors)).toEqual(['TENANT_SLUG_TAKEN']);
      expect(await prisma.tenant.count({ where: { slug: { in: ['bigco', 'big co'] } } })).toBe(0);
    });

    it('takes a locale (en-GB unless given), refuses one nobody can format for, and lets ops change it', async () => {
      const created = await ops<{ provisionTenant: { tenant: { locale: string } } }>(
        'mutation { provisionTenant(input: { slug: "pied-piper", name: "Pied Piper", locale: "en-us" }) { tenant { locale } } }',
      );
      expect(created.body.data!.provisionTenant.tenant.locale).toBe('en-US');
      const bad = await ops('mutation { provisionTenant(input: { slug: "bigco", name: "Big", locale: "not a locale" }) { jobId } }');
      expect(bad.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'TENANT_LOCALE_INVALID' }), message: expect.stringContaining('"not a locale"') })]);

      await new UserService(prisma).create({ email: 'admin@pied-piper.test', password: PASSWORD, grant: { tenantSlug: 'pied-piper', role: 'org_admin' }, actor: 'test' });
      const login = await graphql<{ login: { token: string } }>(app, `mutation { login(email: "admin@pied-piper.test", password: "${PASSWORD}") { token } }`);
      const piperAdmin = { authorization: `Bearer ${login.body.data!.login.token}` };
      const changed = await ops<{ setTenantLocale: { slug: string; locale: string } }>('mutation { setTenantLocale(slug: "pied-piper", locale: "fr-FR") { slug locale } }');
      expect(changed.body.data).toEqual({ setTenantLocale: { slug: 'pied-piper', locale: 'fr-FR' } });
      const me = await graphql<{ me: { locale: string; fiscalYearStartMonth: number | null } }>(app, '{ me { locale fiscalYearStartMonth } }', piperAdmin);
      expect(me.body.data!.me).toEqual({ locale: 'fr-FR', fiscalYearStartMonth: 1 });
      const opsMe = await ops<{ me: { fiscalYearStartMonth: number | null } }>('{ me { fiscalYearStartMonth } }');
      expect(opsMe.body.data).toEqual({ me: { fiscalYearStartMonth: null } });
      const refused = await graphql(app, 'mutation { setTenantLocale(slug: "pied-piper", locale: "de-DE") { locale } }', piperAdmin);
      expect(codes(refused.body.errors)).toEqual(['FORBIDDEN']);
      const piper = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'pied-piper' } });
      const audit = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: piper.id, action: 'tenant.locale_changed' } });
      expect(audit).toMatchObject({ actor: opsUserId, details: { from: 'en-US', to: 'fr-FR' } });
    });
  });

  it("suspends a tenant, which refuses its people's live sessions, and resumes it; both audited, once each", async () => {
    const suspended = await ops<{ suspendTenant: { status: string } }>('mutation { suspendTenant(slug: "acme", reason: "unpaid invoice") { status } }');
    const whileSuspended = await graphql(app, '{ me { email } }', as('admin'));
    const again = await ops('mutation { suspendTenant(slug: "acme") { status } }');
    const resumed = await ops<{ resumeTenant: { status: string } }>('mutation { resumeTenant(slug: "acme") { status } }');
    const afterResume = await graphql<{ me: { email: string } }>(app, '{ me { email } }', as('admin'));

    expect(suspended.body.data).toEqual({ suspendTenant: { status: 'suspended' } });
    expect(codes(whileSuspended.body.errors)).toEqual(['TENANT_SUSPENDED']);
    // Asked again, it answers the tenant as it is and records nothing more.
    expect(again.body).toEqual({ data: { suspendTenant: { status: 'suspended' } } });
    expect(resumed.body.data).toEqual({ resumeTenant: { status: 'active' } });
    expect(afterResume.body.data).toEqual({ me: { email: 'admin@acme.test' } });
    const actions = (await auditActions(acme.id)).filter((a) => a.actor === opsUserId).map((a) => a.action);
    expect(actions).toEqual(['tenant.suspended', 'tenant.resumed']);
    // Ops read why on the tenant's page: the reason, and who, by e-mail.
    type Audit = { tenant: { audit: { items: { action: string; actor: string; actorEmail: string | null; details: string }[] } } };
    const audit = await ops<Audit>('{ tenant(slug: "acme", auditFirst: 2) { audit { items { action actor actorEmail details } } } }');
    expect(audit.body.data!.tenant.audit.items).toEqual([
      { action: 'tenant.resumed', actor: opsUserId, actorEmail: 'ops@kineo.test', details: '{}' },
      { action: 'tenant.suspended', actor: opsUserId, actorEmail: 'ops@kineo.test', details: '{"reason":"unpaid invoice"}' },
    ]);
  });

  it('refuses a suspension reason over 500 characters, naming the argument, and suspends nothing', async () => {
    const long = await ops(`mutation { suspendTenant(slug: "globex", reason: ${JSON.stringify('x'.repeat(100_000))}) { status } }`);

    expect(long.body.errors).toEqual([
      expect.objectContaining({ message: '"reason" has at most 500 characters; this one has 100000. Shorten it.', extensions: { code: 'BAD_USER_INPUT', argument: 'reason' } }),
    ]);
    expect((await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' } })).status).toBe('active');
    const fits = await ops<{ suspendTenant: { status: string } }>(`mutation { suspendTenant(slug: "globex", reason: ${JSON.stringify('y'.repeat(500))}) { status } }`);
    expect(fits.body.data).toEqual({ suspendTenant: { status: 'suspended' } });
    await ops('mutation { resumeTenant(slug: "globex") { status } }');
  });

  it('suspends and resumes once however many ask at once: each caller gets the same answer, one audit event each; a move its status does not allow is still refused', async () => {
    // A tenant of its own: the audit log of the others is paged by the tests below.
    const tenants = new TenantService(prisma);
    const oscorp = await tenants.create({ slug: 'oscorp', name: 'Oscorp', actor: 'test' });
    await tenants.markActive(oscorp.id, 'test');
    const events = async (action: string) => prisma.auditEvent.count({ where: { tenantId: oscorp.id, action } });
    for (let round = 1; round <= 3; round++) {
      const suspended = await Promise.all([1, 2, 3].map(() => ops<{ suspendTenant: { status: string } }>('mutation { suspendTenant(slug: "oscorp", reason: "three at once") { status } }')));
      expect(suspended.map((r) => r.body)).toEqual(Array(3).fill({ data: { suspendTenant: { status: 'suspended' } } }));
      // A double-click on Resume.
      const resumed = await Promise.all([1, 2].map(() => ops<{ resumeTenant: { status: string } }>('mutation { resumeTenant(slug: "oscorp") { status } }')));
      expect(resumed.map((r) => r.body)).toEqual(Array(2).fill({ data: { resumeTenant: { status: 'active' } } }));
      expect([await events('tenant.suspended'), await events('tenant.resumed')]).toEqual([round, round]);
    }
    await tenants.create({ slug: 'stark', name: 'Stark Industries', actor: 'test' });
    const provisioning = await Promise.all([1, 2].map(() => ops('mutation { suspendTenant(slug: "stark") { status } }')));
    for (const refused of provisioning) {
      expect(refused.body.errors).toEqual([
        expect.objectContaining({ message: 'Tenant "stark" is provisioning; only a active tenant can be made suspended.', extensions: { code: 'TENANT_STATUS_CONFLICT' } }),
      ]);
    }
    const stark = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'stark' } });
    expect(stark.status).toBe('provisioning');
    expect(await prisma.auditEvent.count({ where: { tenantId: stark.id, action: 'tenant.suspended' } })).toBe(0);
  });

  it("invites a tenant's admin (its first, after provisioning): the link works once and makes them its org admin; audited, refused to an org admin", async () => {
    // A tenant of its own: the others' audit logs and seats are counted by the tests around this one.
    const tenants = new TenantService(prisma);
    await tenants.markActive((await tenants.create({ slug: 'wayne', name: 'Wayne Enterprises', actor: 'test' })).id, 'test');
    type Sent = { inviteTenantAdmin: { email: string; role: string; link: string; delivery: string } };
    const sent = await ops<Sent>('mutation { inviteTenantAdmin(slug: "wayne", email: "First.Admin@Wayne.test") { email role link delivery } }');
    expect(sent.body.data?.inviteTenantAdmin).toMatchObject({ email: 'first.admin@wayne.test', role: 'org_admin', delivery: 'logged' });
    const token = new URL(sent.body.data!.inviteTenantAdmin.link).searchParams.get('token');
    const accepted = await graphql<{ acceptInvitation: { token: string } }>(
      app,
      `mutation { acceptInvitation(token: "${token}", password: "a long first admin password") { token } }`,
    );
    const me = await graphql<{ me: { role: string; tenant: { slug: string } } }>(app, '{ me { role tenant { slug } } }', { authorization: `Bearer ${accepted.body.data!.acceptInvitation.token}` });
    expect(me.body.data).toEqual({ me: { role: 'org_admin', tenant: { slug: 'wayne' } } });

    const wayne = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'wayne' } });
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: wayne.id, action: 'user.invited' } });
    expect(event).toMatchObject({ actor: opsUserId, details: { source: 'ops', invitations: [{ email: 'first.admin@wayne.test', role: 'org_admin' }] } });
    // Once it has an active admin, ops invite no one more (not even themselves): its admin invites
    // its people. An unknown tenant and an org admin are refused.
    for (const email of ['first.admin@wayne.test', 'ops.self@kineo.test']) {
      const more = await ops(`mutation { inviteTenantAdmin(slug: "wayne", email: "${email}") { link } }`);
      expect(more.body.errors).toEqual([
        expect.objectContaining({
          message: 'Wayne Enterprises has an organisation admin already, who invites its people; Kineo ops give an organisation its first admin only (or a new one once none is active).',
          extensions: expect.objectContaining({ code: 'TENANT_STATUS_CONFLICT' }),
        }),
      ]);
    }
    expect(await prisma.invitation.count({ where: { tenantId: wayne.id, email: 'ops.self@kineo.test' } })).toBe(0);
    const nowhere = await ops('mutation { inviteTenantAdmin(slug: "nowhere", email: "x@y.test") { link } }');
    const byAdmin = await graphql(app, 'mutation { inviteTenantAdmin(slug: "wayne", email: "x@y.test") { link } }', as('admin'));
    expect(codes(nowhere.body.errors)).toEqual(['TENANT_NOT_FOUND']);
    expect(codes(byAdmin.body.errors)).toEqual(['FORBIDDEN']);
    // Its admin gone (deactivated), ops can give it a new one.
    await prisma.membership.updateMany({ where: { tenantId: wayne.id, role: 'org_admin' }, data: { deactivatedAt: new Date() } });
    const next = await ops<Sent>('mutation { inviteTenantAdmin(slug: "wayne", email: "next.admin@wayne.test") { email role link delivery } }');
    expect(next.body.data?.inviteTenantAdmin).toMatchObject({ email: 'next.admin@wayne.test', role: 'org_admin' });
  });

  it('changes the plan (ending the old subscription) and refuses an unknown or unchanged one', async () => {
    const changed = await ops<{ changePlan: { plan: { code: string; seatLimit: number } } }>('mutation { changePlan(slug: "globex", plan: "professional") { plan { code seatLimit } } }');
    const same = await ops('mutation { changePlan(slug: "globex", plan: "professional") { slug } }');
    const unknown = await ops('mutation { changePlan(slug: "globex", plan: "gold") { slug } }');

    expect(changed.body.data).toEqual({ changePlan: { plan: { code: 'professional', seatLimit: 500 } } });
    expect(codes(same.body.errors)).toEqual(['PLAN_UNCHANGED']);
    expect(codes(unknown.body.errors)).toEqual(['PLAN_UNKNOWN']);
    const globex = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' }, include: { subscriptions: { orderBy: { periodStart: 'asc' } } } });
    expect(globex.subscriptions.map((s) => [s.planCode, s.status])).toEqual([['starter', 'cancelled'], ['professional', 'active']]);
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: globex.id, action: 'tenant.plan_changed' } });
    expect(event).toMatchObject({ actor: opsUserId, details: { from: 'starter', to: 'professional' } });
  });

  it('refuses a plan too small for the seats taken, counting pending invitations as the Users page does and not deactivated members', async () => {
    const globex = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' } });
    const { user } = await new UserService(prisma).create({ email: 'seated@globex.test', password: PASSWORD, grant: { tenantSlug: 'globex', role: 'viewer' }, actor: 'test' });
    const members = await prisma.membership.count({ where: { tenantId: globex.id, deactivatedAt: null } });
    const pending = await prisma.invitation.count({ where: { tenantId: globex.id, status: 'pending', expiresAt: { gt: new Date() } } });
    // One seat more than the starter plan's 50, in invitations not accepted yet.
    const extra = 51 - members - pending;
    const expiresAt = new Date(Date.now() + 86_400_000);
    await prisma.invitation.createMany({
      data: Array.from({ length: extra }, (_, i) => ({ tenantId: globex.id, email: `seat-${i}@globex.test`, role: 'viewer' as const, tokenHash: `seat-test-${i}`, expiresAt })),
    });
    try {
      const refused = await ops('mutation { changePlan(slug: "globex", plan: "starter") { slug } }');
      expect(refused.body.errors).toEqual([
        expect.objectContaining({
          message: 'The starter plan allows 50 people (members and pending invitations) and "globex" has 51; its org admin deactivates people or withdraws invitations before it moves to this plan.',
          extensions: { code: 'PLAN_LIMIT' },
        }),
      ]);
      // A deactivated member frees their seat, as the Users page tells the org admin.
      await prisma.membership.updateMany({ where: { tenantId: globex.id, userId: user.id }, data: { deactivatedAt: new Date() } });
      const moved = await ops<{ changePlan: { plan: { code: string } } }>('mutation { changePlan(slug: "globex", plan: "starter") { plan { code } } }');
      expect(moved.body.errors).toBeUndefined();
      expect(moved.body.data!.changePlan.plan.code).toBe('starter');
    } finally {
      await prisma.invitation.deleteMany({ where: { tenantId: globex.id, tokenHash: { startsWith: 'seat-test-' } } });
      await prisma.membership.deleteMany({ where: { userId: user.id } });
      await prisma.user.delete({ where: { id: user.id } });
    }
  });

  it("never leaves a tenant over its seats when ops move it to a smaller plan while its org admin invites someone: one of the two is refused with PLAN_LIMIT", async () => {
    // A tenant of its own, on professional (500 seats) with 50 taken: starter's 50 fit until one more is invited.
    const tenants = new TenantService(prisma);
    await tenants.markActive((await tenants.create({ slug: 'cyberdyne', name: 'Cyberdyne', actor: 'test' })).id, 'test');
    const cyberdyne = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'cyberdyne' } });
    await new UserService(prisma).create({ email: 'admin@cyberdyne.test', password: PASSWORD, grant: { tenantSlug: 'cyberdyne', role: 'org_admin' }, actor: 'test' });
    const login = await graphql<{ login: { token: string } }>(app, `mutation { login(email: "admin@cyberdyne.test", password: "${PASSWORD}") { token } }`);
    const admin = { authorization: `Bearer ${login.body.data!.login.token}` };
    const expiresAt = new Date(Date.now() + 86_400_000);
    await prisma.invitation.createMany({
      data: Array.from({ length: 49 }, (_, i) => ({ tenantId: cyberdyne.id, email: `held-${i}@cyberdyne.test`, role: 'viewer' as const, tokenHash: `cyberdyne-held-${i}`, expiresAt })),
    });
    type Seats = { seats: { limit: number; used: number } };
    const winners: string[] = [];
    for (let round = 0; round < 6; round++) {
      const plan = await ops<{ changePlan: { plan: { code: string } } }>('mutation { changePlan(slug: "cyberdyne", plan: "professional") { plan { code } } }');
      if (round > 0 && codes(plan.body.errors)[0] !== 'PLAN_UNCHANGED') expect(plan.body.errors).toBeUndefined();
      // The previous round's invitation withdrawn: 50 seats taken again.
      await prisma.invitation.deleteMany({ where: { tenantId: cyberdyne.id, email: { startsWith: 'race-' } } });
      expect((await graphql<Seats>(app, '{ seats { limit used } }', admin)).body.data!.seats).toEqual({ limit: 500, used: 50 });

      const [changed, invited] = await Promise.all([
        ops<{ changePlan: { plan: { code: string } } }>('mutation { changePlan(slug: "cyberdyne", plan: "starter") { plan { code } } }'),
        graphql<{ inviteUser: { id: string } }>(app, `mutation { inviteUser(email: "race-${round}@cyberdyne.test", role: viewer) { id } }`, admin),
      ]);

      const seats = (await graphql<Seats>(app, '{ seats { limit used } }', admin)).body.data!.seats;
      expect(seats.used).toBeLessThanOrEqual(seats.limit);
      // Exactly one wins; the other is told why, as when they come one after the other.
      const refused = [codes(changed.body.errors), codes(invited.body.errors)];
      expect(refused.flat()).toEqual(['PLAN_LIMIT']);
      if (changed.body.errors) {
        expect(seats).toEqual({ limit: 500, used: 51 });
        expect(changed.body.errors[0]!.message).toBe(
          'The starter plan allows 50 people (members and pending invitations) and "cyberdyne" has 51; its org admin deactivates people or withdraws invitations before it moves to this plan.',
        );
        winners.push('invitation');
      } else {
        expect(changed.body.data!.changePlan.plan.code).toBe('starter');
        expect(seats).toEqual({ limit: 50, used: 50 });
        expect(invited.body.errors![0]!.message).toMatch(/^The plan allows 50 people \(members and pending invitations\) and all 50 seats are taken: this invitation needs one\./);
        winners.push('plan change');
      }
    }
    // One live subscription however the rounds went.
    expect(await prisma.subscription.count({ where: { tenantId: cyberdyne.id, status: { not: 'cancelled' } } })).toBe(1);
    expect(winners).toHaveLength(6);
  });

  it('offboards only when the confirmation repeats the slug, suspending the tenant at once and queuing the same job as the CLI', async () => {
    const initech = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'initech' } });
    const wrong = await ops('mutation { offboardTenant(slug: "initech", confirm: "initech-please") { jobId } }');
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: initech.id } })).status).toBe('active');
    const right = await ops<{ offboardTenant: { jobId: string; tenant: { slug: string; status: string } } }>(
      'mutation { offboardTenant(slug: "initech", confirm: "initech") { jobId tenant { slug status } } }',
    );

    expect(wrong.body.errors).toEqual([
      expect.objectContaining({ message: 'Refusing to offboard: the confirmation must repeat the slug exactly ("initech").', extensions: { code: 'CONFIRMATION_MISMATCH' } }),
    ]);
    const job = await queues.queue(offboardTenantJob.queue).getJob(right.body.data!.offboardTenant.jobId);
    expect(job?.name).toBe(offboardTenantJob.name);
    expect(job?.data).toEqual({ v: 1, data: { tenantId: initech.id, requestedBy: opsUserId } });
    expect((await auditActions(initech.id)).filter((a) => a.actor === opsUserId)).toEqual([{ action: 'tenant.offboard_requested', actor: opsUserId }]);
    // Closed before the job runs (no worker here): nothing can be uploaded or signed in after the request.
    expect(right.body.data!.offboardTenant.tenant).toEqual({ slug: 'initech', status: 'suspended' });
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: initech.id } })).status).toBe('suspended');
  });

  it('records one offboarding however many ask at once (a double-click): the same answer, one audit event, one job; asked again once the worker gave up, it runs again', async () => {
    const tenants = new TenantService(prisma);
    const tyrell = await tenants.create({ slug: 'tyrell', name: 'Tyrell', actor: 'test' });
    await tenants.markActive(tyrell.id, 'test');
    type Offboarded = { offboardTenant: { jobId: string; tenant: { slug: string; status: string } } };
    const offboard = () => ops<Offboarded>('mutation { offboardTenant(slug: "tyrell", confirm: "tyrell") { jobId tenant { slug status } } }');
    const requested = () => prisma.auditEvent.findMany({ where: { tenantId: tyrell.id, action: 'tenant.offboard_requested' }, orderBy: { id: 'asc' } });
    const queue = queues.queue(offboardTenantJob.queue);
    const jobsOf = async () => (await queue.getJobs(['waiting', 'delayed', 'active', 'prioritized'])).filter((j) => (j.data as { data: { tenantId: string } }).data.tenantId === tyrell.id);

    const answers = await Promise.all([1, 2, 3].map(() => offboard()));
    const expected = { data: { offboardTenant: { jobId: `offboard-${tyrell.id}`, tenant: { slug: 'tyrell', status: 'suspended' } } } };
    expect(answers.map((a) => a.body)).toEqual([expected, expected, expected]);
    const [event] = await requested();
    expect(await requested()).toEqual([expect.objectContaining({ actor: opsUserId, details: { slug: 'tyrell', suspendedFrom: 'active' } })]);
    expect((await jobsOf()).map((j) => j.id)).toEqual([`offboard-${tyrell.id}`]);
    // Later, while it waits for a worker: the same answer, nothing more recorded.
    expect((await offboard()).body).toEqual(expected);
    expect(await requested()).toHaveLength(1);
    const asked = (await prisma.tenant.findUniqueOrThrow({ where: { id: tyrell.id } })).offboardRequestedAt;

    // The worker gave up (a failed run per attempt): asking again is a new request.
    await prisma.buildRun.createMany({ data: Array.from({ length: offboardTenantJob.attempts }, () => ({ tenantId: tyrell.id, kind: 'offboard', status: 'failed' as const })) });
    const again = await Promise.all([1, 2].map(() => offboard()));
    expect(again.map((a) => a.body)).toEqual([expected, expected]);
    expect((await requested()).map((e) => e.id)).toEqual([event!.id, expect.anything()]);
    expect((await requested())[1]).toMatchObject({ details: { slug: 'tyrell', suspendedFrom: null } });
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tyrell.id } })).offboardRequestedAt!.getTime()).toBeGreaterThan(asked!.getTime());
    expect(await jobsOf()).toHaveLength(1);
  });

  it("shows each tenant's landing retention: the setting's period, or the tenant's own", async () => {
    type Shown = { tenant: { landingRetention: { days: number; source: string } } };
    const query = '{ tenant(slug: "globex") { landingRetention { days source } } }';
    expect((await ops<Shown>(query)).body.data!.tenant.landingRetention).toEqual({ days: 7, source: 'setting' });
    await setLandingRetention(prisma, { slug: 'globex', days: 45, actor: 'test' });
    expect((await ops<Shown>(query)).body.data!.tenant.landingRetention).toEqual({ days: 45, source: 'tenant' });
    await setLandingRetention(prisma, { slug: 'globex', days: null, actor: 'test' });
  });

  it('shows one tenant with its audit log a bounded page at a time, newest first', async () => {
    for (let i = 0; i < 3; i++) await ops('mutation { suspendTenant(slug: "umbrella") { status } }').then(() => ops('mutation { resumeTenant(slug: "umbrella") { status } }'));
    type Shown = { tenant: { slug: string; audit: { items: { action: string; actor: string }[]; endCursor: string | null; hasNextPage: boolean }; runs: { items: unknown[] } } };
    const firstPage = await ops<Shown>('{ tenant(slug: "umbrella", auditFirst: 4) { slug runs { items { id } } audit { items { action actor } endCursor hasNextPage } } }');
    const cursor = JSON.stringify(firstPage.body.data!.tenant.audit.endCursor);
    const secondPage = await ops<Shown>(`{ tenant(slug: "umbrella", auditFirst: 4, auditAfter: ${cursor}) { audit { items { action } endCursor hasNextPage } } }`);
    const missing = await ops('{ tenant(slug: "nobody-here") { slug } }');

    expect(firstPage.body.data!.tenant.audit).toMatchObject({
      items: [
        { action: 'tenant.resumed', actor: opsUserId },
        { action: 'tenant.suspended' },
        { action: 'tenant.resumed' },
        { action: 'tenant.suspended' },
      ],
      hasNextPage: true,
    });
    expect(secondPage.body.data!.tenant.audit).toEqual({
      items: [{ action: 'tenant.resumed' }, { action: 'tenant.suspended' }, { action: 'tenant.activated' }, { action: 'tenant.created' }],
      endCursor: null,
      hasNextPage: false,
    });
    expect(firstPage.body.data!.tenant.runs.items).toEqual([]);
    expect(codes(missing.body.errors)).toEqual(['TENANT_NOT_FOUND']);
  });

  describe('plan limits', () => {
    it('refuses a load with more rows than the plan allows (PLAN_LIMIT), recording and landing nothing', async () => {
      const globex = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' } });
      await prisma.subscription.updateMany({ where: { tenantId: globex.id, status: 'active' }, data: { rowLimit: 2 } });
      await new UserService(prisma).create({ email: 'admin@globex.test', password: PASSWORD, grant: { tenantSlug: 'globex', role: 'org_admin' }, actor: 'test' });
      const login = await graphql<{ login: { token: string } }>(app, `mutation { login(email: "admin@globex.test", password: "${PASSWORD}") { token } }`);
      const boundary = `----kineo${randomBytes(8).toString('hex')}`;
      const csv = 'id,username,firstname,lastname\n1,a,A,A\n2,b,"B\nB",B\n3,c,C,C\n';
      const payload = `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="users.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`;

      const response = await app.inject({
        method: 'POST',
        url: '/uploads',
        payload,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${login.body.data!.login.token}` },
      });

      expect(response.json()).toMatchObject({
        code: 'PLAN_LIMIT',
        // The plan's name depends on whether changePlan ran first; the limit is this subscription's override.
        message: expect.stringMatching(/^This load has 3 rows and the \w+ plan allows 2; nothing was loaded\. Load fewer rows or change the plan\.$/),
      });
      expect(await prisma.ingestionRun.count({ where: { tenantId: globex.id } })).toBe(0);
      const landing = path.join(stack.env.KINEO_DATA_DIR!, 'landing', globex.namespace);
      expect(fs.existsSync(landing) ? fs.readdirSync(landing) : []).toEqual([]);
    });

    it('refuses a new member once every seat is taken', async () => {
      const globex = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' } });
      await prisma.subscription.updateMany({ where: { tenantId: globex.id, status: 'active' }, data: { seatLimit: 1 } });

      await expect(
        new UserService(prisma).create({ email: 'second@globex.test', password: PASSWORD, grant: { tenantSlug: 'globex', role: 'viewer' }, actor: 'test' }),
      ).rejects.toMatchObject({ code: 'PLAN_LIMIT', message: expect.stringContaining('allows 1 people (members and pending invitations) and this organisation has 1;') });
      expect(await prisma.user.count({ where: { email: 'second@globex.test' } })).toBe(0);
    });
  });
  describe('the queues screen (bull-board at /ops/queues)', () => {
    const board = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: `/ops/queues${url}`, headers });

    it("shows Kineo ops every queue with its jobs, each job naming its tenant", async () => {
      await queues.enqueue(provisionTenantJob, { tenantId: acme.id, requestedBy: 'test' });

      const page = await board('/', as('ops'));
      const api = await board('/api/queues?activeQueue=provision&status=waiting', as('ops'));

      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('/ops/queues/');
      expect(api.statusCode).toBe(200);
      const listed = api.json<{ queues: { name: string; jobs: { name: string; data: { data: { tenantId: string } } }[] }[] }>().queues;
      expect(listed.map((q) => q.name).sort()).toEqual(['build', 'ingest', 'maintenance', 'provision']);
      const provision = listed.find((q) => q.name === 'provision')!;
      expect(provision.jobs).toContainEqual(expect.objectContaining({ name: 'tenant.provision', data: expect.objectContaining({ data: expect.objectContaining({ tenantId: acme.id }) }) }));
    });

    it('refuses anyone else: 401 without a session or with a bad one, 403 for an org admin', async () => {
      const anonymous = await board('/api/queues');
      const forged = await board('/api/queues', { authorization: 'Bearer not.a.token' });
      const admin = await board('/', as('admin'));
      const adminApi = await board('/api/queues', as('admin'));

      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('/ops/queues/session') });
      expect(forged.statusCode).toBe(401);
      expect(admin.statusCode).toBe(403);
      expect(adminApi.statusCode).toBe(403);
      expect(adminApi.json()).toEqual({ code: 'FORBIDDEN', message: 'The queues screen is for Kineo ops; you are org_admin.' });
    });

    it('lets a browser in with a short-lived cookie traded for the ops bearer token, and only an ops one', async () => {
      const opened = await app.inject({ method: 'POST', url: '/ops/queues/session', headers: as('ops') });
      const cookie = String(opened.headers['set-cookie']);
      const value = /kineo_ops_queues=([^;]+)/.exec(cookie)![1]!;

      expect(opened.statusCode).toBe(200);
      expect(cookie).toMatch(/Path=\/ops\/queues; Max-Age=900; HttpOnly; SameSite=Strict/);
      expect((await board('/api/queues', { cookie: `kineo_ops_queues=${value}` })).statusCode).toBe(200);
      expect((await board('/api/queues', { cookie: 'kineo_ops_queues=guessed' })).statusCode).toBe(401);
      // The cookie is not a session of its own: it cannot be traded for another one.
      expect((await app.inject({ method: 'POST', url: '/ops/queues/session', headers: { cookie: `kineo_ops_queues=${value}` } })).statusCode).toBe(401);
      expect((await app.inject({ method: 'POST', url: '/ops/queues/session', headers: as('admin') })).statusCode).toBe(403);
    });
  });

  it('marks a tenant waiting for the rebuild its release queued for missing gold columns: queued, running, failed after N of 3 attempts; none once it published', async () => {
    const tenants = new TenantService(prisma);
    const missing = ['fact_course_history.year_end_basis', 'dim_manager_relationship.relationship'];
    const made: Record<string, Tenant> = {};
    for (const [slug, status, attempts] of [
      ['gold-queued', 'queued', 1],
      ['gold-running', 'running', 2],
      ['gold-failed', 'failed', 3],
      ['gold-published', 'succeeded', 1],
    ] as const) {
      const tenant = await tenants.create({ slug, name: slug, actor: 'test' });
      await tenants.markActive(tenant.id, 'test');
      made[slug] = await prisma.tenant.update({ where: { id: tenant.id }, data: { dataVersion: 4 } });
      const { runId } = await StageRecorder.start(prisma, { tenantId: tenant.id, kind: 'rebuild', planned: ['silver', 'publish'], status: 'queued' });
      await prisma.buildRun.update({ where: { id: runId }, data: { status, ...(status === 'failed' ? { error: 'silver: Table with name users does not exist' } : {}) } });
      await prisma.goldRebuild.create({
        data: { tenantId: tenant.id, fromVersion: 4, releaseKey: 'abc123def456', missing, attempts, buildRunId: runId, ...(status === 'failed' ? { gaveUpAt: new Date() } : {}) },
      });
    }
    // Its rebuild published version 5: nothing to wait for.
    await prisma.tenant.update({ where: { id: made['gold-published'].id }, data: { dataVersion: 5 } });

    type Rebuild = { state: string; fromVersion: number; missing: string[]; attempts: number; maxAttempts: number; willRetry: boolean; buildRunId: string; error: string | null };
    const fields = 'goldRebuild { state fromVersion missing attempts maxAttempts willRetry buildRunId error }';
    const fleet = await ops<{ fleet: { items: { slug: string; goldRebuild: Rebuild | null }[] } }>(`{ fleet(search: "gold-", first: 10) { items { slug ${fields} } } }`);
    const one = await ops<{ tenant: { goldRebuild: Rebuild | null } }>(`{ tenant(slug: "gold-failed") { ${fields} } }`);
    const globex = await ops<{ tenant: { goldRebuild: Rebuild | null } }>(`{ tenant(slug: "globex") { ${fields} } }`);

    expect(fleet.body.errors).toBeUndefined();
    const run = async (slug: string) => (await prisma.goldRebuild.findUniqueOrThrow({ where: { tenantId: made[slug].id } })).buildRunId;
    const waiting = { fromVersion: 4, missing, maxAttempts: 3 };
    expect(fleet.body.data!.fleet.items).toEqual([
      { slug: 'gold-failed', goldRebuild: { ...waiting, state: 'failed', attempts: 3, willRetry: false, buildRunId: await run('gold-failed'), error: 'silver: Table with name users does not exist' } },
      { slug: 'gold-published', goldRebuild: null },
      { slug: 'gold-queued', goldRebuild: { ...waiting, state: 'queued', attempts: 1, willRetry: true, buildRunId: await run('gold-queued'), error: null } },
      { slug: 'gold-running', goldRebuild: { ...waiting, state: 'running', attempts: 2, willRetry: true, buildRunId: await run('gold-running'), error: null } },
    ]);
    expect(one.body.data!.tenant.goldRebuild).toMatchObject({ state: 'failed', attempts: 3, willRetry: false });
    expect(globex.body.data!.tenant.goldRebuild).toBeNull();
  });

  it("shows whether each tenant's published rollups are current from the recorded manifest, and queues a refresh of them as the CLI does, audited", async () => {
    const tenants = new TenantService(prisma);
    const made: Record<string, Tenant> = {};
    for (const slug of ['rollup-current', 'rollup-stale', 'rollup-unread']) {
      const tenant = await tenants.create({ slug, name: slug, actor: 'test' });
      await tenants.markActive(tenant.id, 'test');
      made[slug] = await prisma.tenant.update({ where: { id: tenant.id }, data: { dataVersion: 3 } });
    }
    // What this release builds, read from its manifest statement (rollup, table, signature), as a publish records it.
    const statement = rollupModels(duckdbDialect, '2026-01-01T00:00:00Z').find((m) => m.name === 'gold.rollup_manifest')!.sql;
    const current = [...statement.matchAll(/select '([^']+)' as rollup_name, '([^']+)' as table_name, '([^']+)' as signature/g)].map(([, rollup, table, signature]) => ({
      rollup,
      table,
      signature,
      asOfKey: 20260101,
      rows: 1,
    }));
    expect(current.length).toBeGreaterThan(1);
    await recordPublishedRollups(prisma, made['rollup-current'].id, 3, current);
    // Built by an older release: one rollup from another definition, one missing.
    const older = current.slice(1).map((e, i) => (i === 0 ? { ...e, signature: 'older-release' } : e));
    await recordPublishedRollups(prisma, made['rollup-stale'].id, 3, older);
    // A record of an older version: the gateway reads version 3's manifest itself, and there is none here.
    await recordPublishedRollups(prisma, made['rollup-unread'].id, 2, current);

    type Rollups = { state: string; version: number | null; stale: string[]; error: string | null };
    const fleet = await ops<{ fleet: { items: { slug: string; rollups: Rollups }[] } }>('{ fleet(search: "rollup-", first: 10) { items { slug rollups { state version stale error } } } }');
    const globex = await ops<{ tenant: { rollups: Rollups } }>('{ tenant(slug: "globex") { rollups { state version stale error } } }');

    expect(fleet.body.errors).toBeUndefined();
    expect(fleet.body.data!.fleet.items).toEqual([
      { slug: 'rollup-current', rollups: { state: 'current', version: 3, stale: [], error: null } },
      { slug: 'rollup-stale', rollups: { state: 'stale', version: 3, stale: [current[0].rollup, current[1].rollup], error: null } },
      { slug: 'rollup-unread', rollups: { state: 'unknown', version: 3, stale: [], error: "Version 3's rollup manifest could not be read." } },
    ]);
    expect(globex.body.data!.tenant.rollups).toEqual({ state: 'none', version: null, stale: [], error: null });

    // Ops ask for the refresh: the same queued run and job as `kineo tenant refresh-rollups`, audited.
    type Refresh = { refreshRollups: { buildRunId: string; jobId: string; tenant: { slug: string; rollups: Rollups } } };
    const asked = await ops<Refresh>('mutation { refreshRollups(slug: "rollup-stale") { buildRunId jobId tenant { slug rollups { state } } } }');
    const nothing = await ops('mutation { refreshRollups(slug: "globex") { jobId } }');

    expect(asked.body.errors).toBeUndefined();
    const { buildRunId, jobId, tenant } = asked.body.data!.refreshRollups;
    expect(tenant).toEqual({ slug: 'rollup-stale', rollups: { state: 'stale' } });
    expect(await prisma.buildRun.findUniqueOrThrow({ where: { id: buildRunId } })).toMatchObject({ kind: 'rollups', status: 'queued', tenantId: made['rollup-stale'].id });
    const job = await queues.queue(refreshRollupsJob.queue).getJob(jobId);
    expect(job?.data).toEqual({ v: refreshRollupsJob.version, data: { tenantId: made['rollup-stale'].id, buildRunId, requestedBy: opsUserId } });
    expect((await auditActions(made['rollup-stale'].id)).filter((a) => a.actor === opsUserId)).toEqual([{ action: 'rollups.refresh_requested', actor: opsUserId }]);
    const runs = await ops<{ tenant: { runs: { items: { id: string; kind: string; status: string; progress: number }[] } } }>(
      '{ tenant(slug: "rollup-stale") { runs { items { id kind status progress } } } }',
    );
    expect(runs.body.data!.tenant.runs.items).toEqual([{ id: buildRunId, kind: 'rollups', status: 'queued', progress: 0 }]);
    expect(nothing.body.errors).toEqual([expect.objectContaining({ message: 'Tenant "globex" has published nothing yet, so it has no rollups to refresh.', extensions: { code: 'NO_DATA' } })]);
    await job?.remove();

    // A refresh whose working table could not be put back finishes with a warning ops can read on the run.
    const warning = 'Working table gold.rollup_completions could not be restored to version 4: RESTORE failed twice.';
    const recorder = await StageRecorder.resume(prisma, buildRunId);
    await recorder.stage('rollups', async () => ({ result: null, warnings: [warning] }));
    await recorder.finish({ status: 'succeeded' });
    const warned = await ops<{ tenant: { runs: { items: { status: string; stages: { stage: string; status: string; warnings: string[] }[] }[] } } }>(
      '{ tenant(slug: "rollup-stale") { runs { items { status stages { stage status warnings } } } } }',
    );
    expect(warned.body.data!.tenant.runs.items).toEqual([{
      status: 'succeeded',
      stages: [
        { stage: 'rollups', status: 'succeeded', warnings: [warning] },
        { stage: 'publish', status: 'pending', warnings: [] },
      ],
    }]);
  });
});
