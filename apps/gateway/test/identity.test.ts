import { loadJwtSecret, SessionTokens, UserService } from '@kineo/auth';
import { createSecretStore, loadSettings } from '@kineo/config';
import { createPrismaClient, TenantService, type PrismaClient, type Tenant } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { createWarehouse } from '@kineo/warehouse';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { graphql, LogCapture, startGateway, type GraphqlReply } from './support/gateway';
import { FakeOidcProvider } from './support/oidc-provider';
import { SmtpSink } from './support/smtp-sink';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase for acme';
const PORTAL = 'https://portal.kineo.test';

interface Session {
  token: string;
  expiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
  role: string;
  tenant: { slug: string } | null;
}
const SESSION = 'token expiresAt refreshToken refreshExpiresAt role tenant { slug }';

interface Member {
  membershipId: string;
  email: string;
  role: string;
  status: string;
  lmsUserId: number | null;
  lastSignInAt: string | null;
  organisationIds: number[];
}
const MEMBER = 'membershipId email role status lmsUserId lastSignInAt organisationIds';

const q = (value: string) => JSON.stringify(value);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const codeOf = (reply: GraphqlReply) => reply.body.errors?.[0]?.extensions?.code;
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('identity: sessions, invitations, password resets, user management and Microsoft sign-in', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let app: NestFastifyApplication;
  const logs = new LogCapture();
  let acme: Tenant;
  let globex: Tenant;

  async function login(app_: NestFastifyApplication, email: string, password = PASSWORD, tenant?: string): Promise<GraphqlReply<{ login: Session }>> {
    return graphql<{ login: Session }>(
      app_,
      `mutation { login(email: ${q(email)}, password: ${q(password)}${tenant ? `, tenant: ${q(tenant)}` : ''}) { ${SESSION} } }`,
    );
  }
  async function signIn(email: string, password = PASSWORD, app_ = app): Promise<Session> {
    const reply = await login(app_, email, password);
    expect(reply.body.errors).toBeUndefined();
    return reply.body.data!.login;
  }
  const me = (token: string, app_ = app) => graphql<{ me: { email: string; role: string } }>(app_, '{ me { email role } }', bearer(token));
  const refresh = (refreshToken: string) => graphql<{ refreshSession: Session }>(app, `mutation { refreshSession(refreshToken: ${q(refreshToken)}) { ${SESSION} } }`);
  const audit = (action: string) => prisma.auditEvent.findMany({ where: { action }, orderBy: { id: 'asc' } });

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    const tenants = new TenantService(prisma);
    const users = new UserService(prisma);
    for (const [slug, name] of [['acme', 'Acme Health'], ['globex', 'Globex']] as const) {
      const tenant = await tenants.create({ slug, name, actor: 'test' });
      await tenants.markActive(tenant.id, 'test');
    }
    acme = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
    globex = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' } });
    const accounts = [
      ['admin@acme.test', { tenantSlug: 'acme', role: 'org_admin' as const }],
      ['manager@acme.test', { tenantSlug: 'acme', role: 'manager' as const, lmsUserId: 7 }],
      ['viewer@acme.test', { tenantSlug: 'acme', role: 'viewer' as const }],
      ['admin@globex.test', { tenantSlug: 'globex', role: 'org_admin' as const }],
      ['member@globex.test', { tenantSlug: 'globex', role: 'viewer' as const }],
      ['ops@kineo.test', { ops: true as const }],
    ] as const;
    for (const [email, grant] of accounts) await users.create({ email, password: PASSWORD, grant, actor: 'test' });
    // The first gateway of the process decides where logs go (nestjs-pino), so it is the one without SMTP.
    app = await startGateway(stack, { PORTAL_URL: PORTAL, LOG_LEVEL: 'info' }, { logDestination: logs });
  });

  afterAll(async () => {
    await app?.close();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  describe('sessions', () => {
    it('login hands out a refresh token; refreshSession swaps it for a new session once, and the old one no longer works', async () => {
      const first = await signIn('admin@acme.test');
      expect(first.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Date.parse(first.refreshExpiresAt)).toBeGreaterThan(Date.parse(first.expiresAt));

      const renewed = await refresh(first.refreshToken);
      expect(renewed.body.errors).toBeUndefined();
      const second = renewed.body.data!.refreshSession;
      expect(second).toMatchObject({ role: 'org_admin', tenant: { slug: 'acme' } });
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect(claimsOf(second.token).sid).toBe(claimsOf(first.token).sid);
      expect((await me(second.token)).body.data).toEqual({ me: { email: 'admin@acme.test', role: 'org_admin' } });

      const third = (await refresh(second.refreshToken)).body.data!.refreshSession;
      expect((await me(third.token)).body.data?.me.email).toBe('admin@acme.test');
    });

    it('presenting a used refresh token again ends the whole sign-in (a stolen copy racing the owner)', async () => {
      const first = await signIn('admin@acme.test');
      const second = (await refresh(first.refreshToken)).body.data!.refreshSession;

      const replay = await refresh(first.refreshToken);
      expect(codeOf(replay)).toBe('UNAUTHENTICATED');
      expect(replay.body.errors![0]!.message).toBe('This refresh token is not valid any more; sign in again.');
      // The owner's current tokens of that sign-in are dead too.
      expect(codeOf(await refresh(second.refreshToken))).toBe('UNAUTHENTICATED');
      expect(codeOf(await me(second.token))).toBe('UNAUTHENTICATED');
      expect(codeOf(await me(first.token))).toBe('UNAUTHENTICATED');
      const sid = claimsOf(first.token).sid as string;
      expect((await audit('auth.refresh_reused')).map((e) => (e.details as { sessionId: string }).sessionId)).toContain(sid);
    });

    it('logout revokes the session: its access token and refresh token are refused, other sign-ins go on', async () => {
      const other = await signIn('admin@acme.test');
      const session = await signIn('admin@acme.test');
      const out = await graphql<{ logout: boolean }>(app, 'mutation { logout }', bearer(session.token));
      expect(out.body).toEqual({ data: { logout: true } });

      const after = await me(session.token);
      expect(after.body.errors).toEqual([expect.objectContaining({ message: 'Your session is not valid or has expired; sign in again.', extensions: { code: 'UNAUTHENTICATED' } })]);
      expect(codeOf(await refresh(session.refreshToken))).toBe('UNAUTHENTICATED');
      expect((await me(other.token)).body.data?.me.email).toBe('admin@acme.test');
      expect(codeOf(await graphql(app, 'mutation { logout }'))).toBe('UNAUTHENTICATED');
    });

    it('refuses an expired token, one signed with another key, an unsigned (alg none) one and one without a session id', async () => {
      const session = await signIn('admin@acme.test');
      const claims = claimsOf(session.token) as { sub: string; tid: string; sid: string };
      const secret = () => loadJwtSecret(createSecretStore(loadSettings(stack.env)));

      const lastWeek = new SessionTokens(secret, 3600, () => new Date(Date.now() - 7 * 24 * 3600 * 1000));
      const expired = await lastWeek.issue({ userId: claims.sub, tenantId: claims.tid, role: 'org_admin', sessionId: claims.sid });
      const otherKey = new SessionTokens(new TextEncoder().encode('another-key-that-is-long-enough-for-hs256!!'));
      const forged = await otherKey.issue({ userId: claims.sub, tenantId: claims.tid, role: 'org_admin', sessionId: claims.sid });
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const unsigned = `${header}.${session.token.split('.')[1]}.`;
      const noSession = await new SessionTokens(secret).issue({ userId: claims.sub, tenantId: claims.tid, role: 'org_admin' });

      for (const token of [expired.token, forged.token, unsigned, noSession.token]) {
        const reply = await me(token);
        expect(reply.body.data).toBeNull();
        expect(codeOf(reply)).toBe('UNAUTHENTICATED');
      }
      expect((await me(session.token)).body.data?.me.email).toBe('admin@acme.test');
    });

    it('refuses sessions, refreshes and sign-ins of a suspended tenant, and lets them work again once it is active', async () => {
      const session = await signIn('member@globex.test');
      await prisma.tenant.update({ where: { id: globex.id }, data: { status: 'suspended' } });
      try {
        for (const reply of [await me(session.token), await refresh(session.refreshToken), await login(app, 'member@globex.test')]) {
          expect(codeOf(reply)).toBe('TENANT_SUSPENDED');
        }
      } finally {
        await prisma.tenant.update({ where: { id: globex.id }, data: { status: 'active' } });
      }
      expect((await me(session.token)).body.data?.me.email).toBe('member@globex.test');
      expect((await refresh(session.refreshToken)).body.errors).toBeUndefined();
    });
  });
});
