import { createSecretStore, loadSettings } from '@kineo/config';
import { createPrismaClient, TenantService, type PrismaClient } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { AuthService, UserService } from '../src';

const PASSWORD = 'a long enough passphrase';

describe('accounts', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let auth: AuthService;
  let users: UserService;

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    auth = AuthService.create(prisma, createSecretStore(loadSettings(stack.env)));
    users = new UserService(prisma);
    const tenants = new TenantService(prisma);
    for (const slug of ['acme', 'globex', 'initech']) {
      const tenant = await tenants.create({ slug, name: slug.toUpperCase(), actor: 'test' });
      await tenants.markActive(tenant.id, 'test');
    }
    await prisma.tenant.update({ where: { slug: 'initech' }, data: { status: 'suspended' } });
    await users.create({ email: 'Admin@Acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'org_admin' }, actor: 'test' });
    await users.create({ email: 'both@x.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
    await users.create({ email: 'both@x.test', password: PASSWORD, grant: { tenantSlug: 'globex', role: 'manager', lmsUserId: 42 }, actor: 'test' });
    await users.create({ email: 'ops@kineo.test', password: PASSWORD, grant: { ops: true }, actor: 'test' });
    await users.create({ email: 'sus@initech.test', password: PASSWORD, grant: { tenantSlug: 'initech', role: 'org_admin' }, actor: 'test' });
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await stack?.stop();
  });

  describe('signing in', () => {
    it('puts a user with one organisation straight into it, whatever the case of their email', async () => {
      const session = await auth.login('  admin@ACME.test ', PASSWORD);
      expect(session).toMatchObject({ role: 'org_admin', tenant: { slug: 'acme', name: 'ACME' } });

      const principal = await auth.verify(session.token);
      const acme = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
      expect(principal.context).toEqual({
        tenantId: acme.id,
        namespace: acme.namespace,
        dataVersion: 0,
        role: 'org_admin',
        lmsUserId: null,
        userId: session.userId,
      });
    });

    it('asks a user with several organisations to choose, then signs them into the one they chose', async () => {
      await expect(auth.login('both@x.test', PASSWORD)).rejects.toMatchObject({
        code: 'TENANT_REQUIRED',
        message: 'You belong to several organisations; choose one of: acme, globex.',
      });
      const session = await auth.login('both@x.test', PASSWORD, 'globex');
      expect(session).toMatchObject({ role: 'manager', tenant: { slug: 'globex' } });
      expect((await auth.verify(session.token)).context).toMatchObject({ role: 'manager', lmsUserId: 42 });

      await expect(auth.login('both@x.test', PASSWORD, 'initech')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('gives Kineo ops a platform session outside every tenant', async () => {
      const session = await auth.login('ops@kineo.test', PASSWORD);
      expect(session).toMatchObject({ role: 'kineo_ops', tenant: null });
      expect(await auth.verify(session.token)).toMatchObject({ role: 'kineo_ops', context: null, tenant: null, email: 'ops@kineo.test' });
    });

    it('fails an unknown email and a wrong password with the same error, taking about as long', async () => {
      const time = async (fn: () => Promise<unknown>) => {
        const started = process.hrtime.bigint();
        const error = await fn().catch((e: unknown) => e);
        return { error, ms: Number(process.hrtime.bigint() - started) / 1e6 };
      };
      await time(() => auth.login('nobody@nowhere.test', PASSWORD)); // warms the dummy hash
      const unknown = await time(() => auth.login('nobody@nowhere.test', PASSWORD));
      const wrong = await time(() => auth.login('admin@acme.test', 'not the right password'));

      expect(unknown.error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'The email or password is incorrect.' });
      expect(wrong.error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'The email or password is incorrect.' });
      expect(unknown.ms).toBeGreaterThan(wrong.ms / 3);
    });

    it('refuses a suspended organisation at sign-in and an existing session once it is suspended', async () => {
      await expect(auth.login('sus@initech.test', PASSWORD)).rejects.toMatchObject({ code: 'TENANT_SUSPENDED' });

      const session = await auth.login('admin@acme.test', PASSWORD);
      await prisma.tenant.update({ where: { slug: 'acme' }, data: { status: 'suspended' } });
      try {
        await expect(auth.verify(session.token)).rejects.toMatchObject({ code: 'TENANT_SUSPENDED' });
      } finally {
        await prisma.tenant.update({ where: { slug: 'acme' }, data: { status: 'active' } });
      }
    });

    it('ends the sessions of a disabled user', async () => {
      const session = await auth.login('both@x.test', PASSWORD, 'acme');
      await prisma.user.update({ where: { email: 'both@x.test' }, data: { status: 'disabled' } });
      try {
        await expect(auth.verify(session.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
        await expect(auth.login('both@x.test', PASSWORD, 'acme')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      } finally {
        await prisma.user.update({ where: { email: 'both@x.test' }, data: { status: 'active' } });
      }
    });

    it('audits every sign-in and failed attempt, never with the password', async () => {
      await auth.login('admin@acme.test', PASSWORD);
      await auth.login('admin@acme.test', 'wrong password here').catch(() => undefined);
      await auth.login('ghost@acme.test', 'ghost password here').catch(() => undefined);

      const events = await prisma.auditEvent.findMany({ where: { action: { startsWith: 'auth.' } }, orderBy: { id: 'asc' } });
      const reasons = events.map((e) => [e.action, (e.details as { reason?: string }).reason ?? null]);
      expect(reasons).toEqual(expect.arrayContaining([
        ['auth.login', null],
        ['auth.login_failed', 'wrong_password'],
        ['auth.login_failed', 'unknown_email'],
        ['auth.login_failed', 'tenant_required'],
        ['auth.login_failed', 'tenant_suspended'],
      ]));
      const everything = JSON.stringify(events, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
      expect(everything).not.toContain(PASSWORD);
      expect(everything).not.toContain('wrong password here');
      expect(everything).not.toContain('ghost password here');
      const admin = await prisma.user.findUniqueOrThrow({ where: { email: 'admin@acme.test' } });
      expect(admin.lastLoginAt).toBeInstanceOf(Date);
    });
  });

  describe('creating users', () => {
    it('adds a second organisation to an existing account without changing its password', async () => {
      const first = await users.create({ email: 'x@y.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
      const hash = (await prisma.user.findUniqueOrThrow({ where: { email: 'x@y.test' } })).passwordHash;
      const second = await users.create({ email: 'x@y.test', password: 'another password entirely', grant: { tenantSlug: 'globex', role: 'org_admin' }, actor: 'test' });

      expect(first.created).toBe(true);
      expect(second.created).toBe(false);
      expect(second.user.memberships).toEqual([
        { tenant: 'acme', role: 'viewer', lmsUserId: null },
        { tenant: 'globex', role: 'org_admin', lmsUserId: null },
      ]);
      expect((await prisma.user.findUniqueOrThrow({ where: { email: 'x@y.test' } })).passwordHash).toBe(hash);
    });

    it('refuses a membership the account already has, an unknown tenant, a weak password and a manager without an LMS user', async () => {
      await expect(users.create({ email: 'x@y.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'manager', lmsUserId: 3 }, actor: 't' })).rejects.toMatchObject({
        code: 'USER_EXISTS',
        message: 'A user with email x@y.test already exists in "acme" (as viewer).',
      });
      await expect(users.create({ email: 'n@y.test', password: PASSWORD, grant: { tenantSlug: 'nope', role: 'viewer' }, actor: 't' })).rejects.toMatchObject({
        code: 'TENANT_NOT_FOUND',
      });
      await expect(users.create({ email: 'n@y.test', password: 'short', grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 't' })).rejects.toMatchObject({
        code: 'PASSWORD_WEAK',
      });
      await expect(users.create({ email: 'n@y.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'manager' }, actor: 't' })).rejects.toMatchObject({
        code: 'USER_INPUT_INVALID',
      });
      expect(await prisma.user.findUnique({ where: { email: 'n@y.test' } })).toBeNull();
    });
  });
});
