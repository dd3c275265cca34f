import { loadJwtSecret, oidcClientSecretName, SessionTokens, UserService } from '@kineo/auth';
import { createSecretStore, loadSettings } from '@kineo/config';
import { createPrismaClient, TenantService, type PrismaClient, type Tenant } from '@kineo/db';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeOidcProvider, startTestStack, type TestStack } from '@kineo/testkit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { graphql, LogCapture, startGateway, type GraphqlReply } from './support/gateway';
import { publishGold } from './support/published-gold';
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
  lmsUserName?: string | null;
  lastSignInAt: string | null;
  organisationIds: number[];
}
const MEMBER = 'membershipId email role status lmsUserId lmsUserName lastSignInAt organisationIds';

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
  async function signIn(email: string, password = PASSWORD, app_ = app, tenant?: string): Promise<Session> {
    const reply = await login(app_, email, password, tenant);
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
          // Named as its people know it, not by its slug.
          expect(reply.body.errors?.[0]?.message).toBe('Globex is suspended on Kineo Analytics. Contact Kineo support.');
        }
      } finally {
        await prisma.tenant.update({ where: { id: globex.id }, data: { status: 'active' } });
      }
      expect((await me(session.token)).body.data?.me.email).toBe('member@globex.test');
      expect((await refresh(session.refreshToken)).body.errors).toBeUndefined();
    });
  });

  describe('the org admin manages people', () => {
    const asAdmin = async () => bearer((await signIn('admin@acme.test')).token);
    const users = async (headers: Record<string, string>) => (await graphql<{ users: Member[] }>(app, `{ users { ${MEMBER} } }`, headers)).body.data!.users;
    const memberId = async (email: string) => (await prisma.membership.findFirstOrThrow({ where: { user: { email } } })).id;

    it('lists the members of their own organisation only, with role, status and last sign-in', async () => {
      const list = await users(await asAdmin());
      expect(list.map((m) => [m.email, m.role, m.status])).toEqual([
        ['admin@acme.test', 'org_admin', 'active'],
        ['manager@acme.test', 'manager', 'active'],
        ['viewer@acme.test', 'viewer', 'active'],
      ]);
      expect(list[0]!.lastSignInAt).not.toBeNull();
      expect(list[1]!.lmsUserId).toBe(7);
      // Nothing published yet: no name to show, and the list still answers.
      expect(list[1]!.lmsUserName).toBeNull();

      const headers = await asAdmin();
      expect((await graphql(app, 'mutation { inviteUser(email: "early@acme.test", role: manager, lmsUserId: 7) { id } }', headers)).body.errors).toBeUndefined();
      const pending = await graphql<{ pendingInvitations: { email: string; lmsUserId: number; lmsUserName: string | null }[] }>(
        app,
        '{ pendingInvitations { email lmsUserId lmsUserName } }',
        headers,
      );
      expect(pending.body.data!.pendingInvitations.filter((i) => i.email === 'early@acme.test')).toEqual([{ email: 'early@acme.test', lmsUserId: 7, lmsUserName: null }]);
    });

    it('is refused to a manager, a viewer and Kineo ops', async () => {
      for (const email of ['manager@acme.test', 'viewer@acme.test', 'ops@kineo.test']) {
        const reply = await graphql(app, `{ users { email } }`, bearer((await signIn(email)).token));
        expect(codeOf(reply)).toBe('FORBIDDEN');
      }
      const mutation = await graphql(app, `mutation { deactivateUser(membershipId: ${q(await memberId('viewer@acme.test'))}) { status } }`, bearer((await signIn('manager@acme.test')).token));
      expect(mutation.body.errors).toEqual([expect.objectContaining({ message: 'This needs the org_admin role; you are manager.', extensions: { code: 'FORBIDDEN' } })]);
    });

    it("changes a role, which applies to the member's current session at once, and is audited", async () => {
      const viewer = await signIn('viewer@acme.test');
      const id = await memberId('viewer@acme.test');
      const noLink = await graphql(app, `mutation { changeRole(membershipId: ${q(id)}, role: manager) { role } }`, await asAdmin());
      expect(noLink.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'USER_INPUT_INVALID' } })]);
      expect(noLink.body.errors![0]!.message).toContain('A manager needs the LMS user id');

      const changed = await graphql<{ changeRole: Member }>(app, `mutation { changeRole(membershipId: ${q(id)}, role: manager, lmsUserId: 12) { ${MEMBER} } }`, await asAdmin());
      expect(changed.body.data!.changeRole).toMatchObject({ role: 'manager', lmsUserId: 12 });
      expect((await me(viewer.token)).body.data?.me.role).toBe('manager');

      const back = await graphql<{ changeRole: Member }>(app, `mutation { changeRole(membershipId: ${q(id)}, role: viewer) { role } }`, await asAdmin());
      expect(back.body.data!.changeRole.role).toBe('viewer');
      const events = await audit('user.role_changed');
      expect(events.map((e) => e.details)).toEqual([
        expect.objectContaining({ email: 'viewer@acme.test', from: 'viewer', to: 'manager', lmsUserId: 12 }),
        expect.objectContaining({ email: 'viewer@acme.test', from: 'manager', to: 'viewer' }),
      ]);
      expect(events.every((e) => e.tenantId === acme.id)).toBe(true);
    });

    it('deactivates a member: their sessions end, they cannot sign in or refresh; reactivating lets them sign in again', async () => {
      const manager = await signIn('manager@acme.test');
      const id = await memberId('manager@acme.test');
      const off = await graphql<{ deactivateUser: Member }>(app, `mutation { deactivateUser(membershipId: ${q(id)}) { ${MEMBER} } }`, await asAdmin());
      expect(off.body.data!.deactivateUser.status).toBe('deactivated');

      expect(codeOf(await me(manager.token))).toBe('UNAUTHENTICATED');
      expect(codeOf(await refresh(manager.refreshToken))).toBe('UNAUTHENTICATED');
      const refused = await login(app, 'manager@acme.test');
      expect(codeOf(refused)).toBe('FORBIDDEN');
      // Told what happened, and whom to ask (the password was right).
      expect(refused.body.errors?.[0]?.message).toMatch(/^Your access to .+ was turned off by its administrator\. Ask them to let you back in\.$/);

      const on = await graphql<{ reactivateUser: Member }>(app, `mutation { reactivateUser(membershipId: ${q(id)}) { status } }`, await asAdmin());
      expect(on.body.data!.reactivateUser.status).toBe('active');
      expect((await me((await signIn('manager@acme.test')).token)).body.data?.me.role).toBe('manager');
      expect((await audit('user.deactivated')).map((e) => (e.details as { email: string }).email)).toEqual(['manager@acme.test']);
      expect((await audit('user.reactivated')).map((e) => (e.details as { email: string }).email)).toEqual(['manager@acme.test']);
    });

    it('grants a viewer LMS organisations (replacing what they had), and refuses it for a non-viewer', async () => {
      const id = await memberId('viewer@acme.test');
      const grant = (ids: number[], membershipId = id) =>
        graphql<{ grantViewerOrganisations: Member }>(app, `mutation { grantViewerOrganisations(membershipId: ${q(membershipId)}, organisationIds: [${ids.join(', ')}]) { organisationIds } }`, asAdminHeaders);
      const asAdminHeaders = await asAdmin();
      expect((await grant([30, 10, 10])).body.data!.grantViewerOrganisations.organisationIds).toEqual([10, 30]);
      expect((await grant([20])).body.data!.grantViewerOrganisations.organisationIds).toEqual([20]);
      expect((await prisma.viewerGrant.findMany({ where: { membershipId: id } })).map((g) => Number(g.organisationId))).toEqual([20]);

      const manager = await grant([1], await memberId('manager@acme.test'));
      expect(manager.body.errors).toEqual([expect.objectContaining({ message: 'manager@acme.test is manager, not a viewer; only viewers are granted organisations.' })]);
      expect(codeOf(await grant([0]))).toBe('USER_INPUT_INVALID');
      expect((await audit('user.viewer_organisations_granted')).map((e) => e.details)).toEqual([
        expect.objectContaining({ from: [], to: [10, 30] }),
        expect.objectContaining({ from: [10, 30], to: [20] }),
      ]);
    });

    it("cannot touch another organisation's members (NOT_FOUND, as for an unknown id), nor deactivate or demote oneself", async () => {
      const headers = await asAdmin();
      const foreign = await graphql(app, `mutation { deactivateUser(membershipId: ${q(await memberId('member@globex.test'))}) { status } }`, headers);
      expect(codeOf(foreign)).toBe('NOT_FOUND');
      expect((await prisma.membership.findFirstOrThrow({ where: { user: { email: 'member@globex.test' } } })).deactivatedAt).toBeNull();
      const self = await graphql(app, `mutation { deactivateUser(membershipId: ${q(await memberId('admin@acme.test'))}) { status } }`, headers);
      expect(self.body.errors).toEqual([expect.objectContaining({ message: 'You cannot deactivate yourself; ask another org admin.', extensions: { code: 'FORBIDDEN' } })]);
    });
  });

  describe('invitations (no mail server: the link is logged and returned to the admin)', () => {
    interface Invitation { id: string; email: string; role: string; link: string; delivery: string; expiresAt: string; organisationIds: number[] }
    const INVITATION = 'id email role link delivery expiresAt organisationIds';
    const invite = async (args: string, who = 'admin@acme.test') =>
      graphql<{ inviteUser: Invitation }>(app, `mutation { inviteUser(${args}) { ${INVITATION} } }`, bearer((await signIn(who)).token));
    const accept = (link: string, password = PASSWORD, displayName = 'New Person') =>
      graphql<{ acceptInvitation: Session }>(
        app,
        `mutation { acceptInvitation(token: ${q(new URL(link).searchParams.get('token')!)}, password: ${q(password)}, displayName: ${q(displayName)}) { ${SESSION} } }`,
      );

    it('invites a viewer with organisations; the link is logged, returned, and accepting it creates the account and signs in', async () => {
      const sent = await invite(`email: "New.Viewer@Acme.test", role: viewer, organisationIds: [5, 6]`);
      expect(sent.body.errors).toBeUndefined();
      const invitation = sent.body.data!.inviteUser;
      expect(invitation).toMatchObject({ email: 'new.viewer@acme.test', role: 'viewer', delivery: 'logged', organisationIds: [5, 6] });
      // The admin's list of invitations not accepted yet says what the viewer will see.
      const pending = await graphql<{ pendingInvitations: { email: string; role: string; organisationIds: number[] }[] }>(
        app,
        '{ pendingInvitations { email role organisationIds } }',
        bearer((await signIn('admin@acme.test')).token),
      );
      expect(pending.body.data!.pendingInvitations.filter((i) => i.email === 'new.viewer@acme.test')).toEqual([{ email: 'new.viewer@acme.test', role: 'viewer', organisationIds: [5, 6] }]);
      expect(invitation.link).toMatch(new RegExp(`^${PORTAL}/accept-invitation\\?token=[A-Za-z0-9_-]{43}$`));
      expect(Date.parse(invitation.expiresAt) - Date.now()).toBeGreaterThan(6.9 * 24 * 3600 * 1000);
      expect(logs.lines.some((line) => JSON.stringify(line).includes(invitation.link))).toBe(true);
      const stored = await prisma.invitation.findUniqueOrThrow({ where: { id: invitation.id } });
      expect(stored.tokenHash).not.toContain(new URL(invitation.link).searchParams.get('token'));

      const weak = await accept(invitation.link, 'short');
      expect(codeOf(weak)).toBe('PASSWORD_WEAK');

      const accepted = await accept(invitation.link);
      expect(accepted.body.errors).toBeUndefined();
      expect(accepted.body.data!.acceptInvitation).toMatchObject({ role: 'viewer', tenant: { slug: 'acme' } });
      expect((await me(accepted.body.data!.acceptInvitation.token)).body.data).toEqual({ me: { email: 'new.viewer@acme.test', role: 'viewer' } });
      const membership = await prisma.membership.findFirstOrThrow({ where: { user: { email: 'new.viewer@acme.test' } }, include: { viewerGrants: true, user: true } });
      expect(membership.viewerGrants.map((g) => Number(g.organisationId)).sort()).toEqual([5, 6]);
      expect(membership.user.displayName).toBe('New Person');
      expect((await signIn('new.viewer@acme.test')).role).toBe('viewer');

      const again = await accept(invitation.link);
      expect(codeOf(again)).toBe('INVITATION_INVALID');
      expect((await audit('user.invited')).length).toBeGreaterThan(0);
      expect((await audit('invitation.accepted')).map((e) => (e.details as { email: string }).email)).toContain('new.viewer@acme.test');
    });

    it('links an existing account after checking its current password, and the account then belongs to both organisations', async () => {
      const invitation = (await invite(`email: "admin@globex.test", role: manager, lmsUserId: 42`)).body.data!.inviteUser;
      const wrong = await accept(invitation.link, 'not the password of that account');
      expect(wrong.body.errors).toEqual([
        expect.objectContaining({ message: 'admin@globex.test already has a Kineo account: enter its current password to add this organisation to it.', extensions: { code: 'UNAUTHENTICATED' } }),
      ]);
      const accepted = await accept(invitation.link, PASSWORD);
      expect(accepted.body.data!.acceptInvitation).toMatchObject({ role: 'manager', tenant: { slug: 'acme' } });
      expect(codeOf(await login(app, 'admin@globex.test'))).toBe('TENANT_REQUIRED');
      expect((await login(app, 'admin@globex.test', PASSWORD, 'globex')).body.data!.login.role).toBe('org_admin');
    });

    it('refuses inviting a member, a manager without LMS user, organisations for a non-viewer, and a non-admin inviter', async () => {
      const member = await invite(`email: "manager@acme.test", role: viewer`);
      expect(member.body.errors).toEqual([expect.objectContaining({ message: 'Already in Acme Health: manager@acme.test (manager). Change their role instead of inviting them.', extensions: { code: 'USER_EXISTS' } })]);
      expect(codeOf(await invite(`email: "m@acme.test", role: manager`))).toBe('USER_INPUT_INVALID');
      expect(codeOf(await invite(`email: "m@acme.test", role: org_admin, organisationIds: [1]`))).toBe('USER_INPUT_INVALID');
      expect(codeOf(await invite(`email: "not an address", role: viewer`))).toBe('EMAIL_INVALID');
      expect(codeOf(await invite(`email: "m@acme.test", role: viewer`, 'manager@acme.test'))).toBe('FORBIDDEN');
    });

    it('a new invitation to the same address replaces the earlier link; an expired link is refused', async () => {
      const first = (await invite(`email: "twice@acme.test", role: viewer`)).body.data!.inviteUser;
      const second = (await invite(`email: "twice@acme.test", role: viewer`)).body.data!.inviteUser;
      expect(codeOf(await accept(first.link))).toBe('INVITATION_INVALID');

      await prisma.invitation.update({ where: { id: second.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const late = await accept(second.link);
      expect(late.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'INVITATION_INVALID' } })]);
      expect(late.body.errors![0]!.message).toContain('has expired');
      expect(await prisma.user.count({ where: { email: 'twice@acme.test' } })).toBe(0);
    });

    it("refuses an invitation beyond the plan's seats with PLAN_LIMIT, counting members and pending invitations", async () => {
      const subscription = await prisma.subscription.findFirstOrThrow({ where: { tenantId: acme.id } });
      const members = await prisma.membership.count({ where: { tenantId: acme.id, deactivatedAt: null } });
      const invitations = await prisma.invitation.count({ where: { tenantId: acme.id, status: 'pending', expiresAt: { gt: new Date() } } });
      const taken = members + invitations;
      const seats = async (who = 'admin@acme.test') => graphql<{ seats: Record<string, number | null> }>(app, '{ seats { limit used members invitations free } }', bearer((await signIn(who)).token));
      await prisma.subscription.update({ where: { id: subscription.id }, data: { seatLimit: taken + 1 } });
      try {
        // What the admin is shown before inviting: one seat left, then none once an invitation takes it.
        expect((await seats()).body.data!.seats).toEqual({ limit: taken + 1, used: taken, members, invitations, free: 1 });
        expect((await invite(`email: "last-seat@acme.test", role: viewer`)).body.errors).toBeUndefined();
        expect((await seats()).body.data!.seats).toEqual({ limit: taken + 1, used: taken + 1, members, invitations: invitations + 1, free: 0 });
        const full = await invite(`email: "one-too-many@acme.test", role: viewer`);
        expect(full.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'PLAN_LIMIT' } })]);
        expect(full.body.errors![0]!.message).toBe(
          `The plan allows ${taken + 1} people (members and pending invitations) and all ${taken + 1} seats are taken: this invitation needs one. Deactivate someone or withdraw an invitation, or ask Kineo for a plan with more seats.`,
        );
        expect(await prisma.invitation.count({ where: { email: 'one-too-many@acme.test' } })).toBe(0);
        // Withdrawing the invitation gives its seat back.
        const last = await prisma.invitation.findFirstOrThrow({ where: { email: 'last-seat@acme.test', status: 'pending' } });
        const headers = bearer((await signIn('admin@acme.test')).token);
        expect((await graphql(app, `mutation { revokeInvitation(invitationId: ${q(last.id)}) }`, headers)).body.errors).toBeUndefined();
        expect((await seats()).body.data!.seats).toMatchObject({ used: taken, free: 1 });
        // Only the org admin sees the plan's seats.
        expect(codeOf(await seats('manager@acme.test'))).toBe('FORBIDDEN');
      } finally {
        await prisma.subscription.update({ where: { id: subscription.id }, data: { seatLimit: null } });
      }
    });
  });

  describe('inviteAllManagers: every manager of the published hierarchy, in one action', () => {
    beforeAll(async () => {
      await publishGold(stack, acme, [
        `create or replace table gold.dim_user as select *, case when user_id = 7 then 'Mona Manager' else 'Person ' || user_id end as full_name from (values
          (-1, -1, 'N/A', false), (7, 7, 'manager@acme.test', true), (8, 8, 'eight@acme.test', true),
          (100, 100, 'Boss@Acme.test', true), (101, 101, 'N/A', true), (102, 102, 'r102@acme.test', true), (103, 103, 'r103@acme.test', true),
          (104, 104, 'viewer@acme.test', true), (105, 105, 'r105@acme.test', true), (106, 106, 'pending@acme.test', true), (107, 107, 'r107@acme.test', true),
          (108, 108, 'boss@acme.test', true), (109, 109, 'r109@acme.test', true), (110, 110, 'gone@acme.test', false), (111, 111, 'r111@acme.test', true),
          (112, 112, 'm112@acme.test', true), (113, 113, 'r113@acme.test', true)
        ) as t(user_key, user_id, email, is_active)`,
        `create or replace table gold.dim_manager_relationship as select * from (values
          (7, 8, 'direct', 1), (100, 101, 'direct', 1), (100, 102, 'direct', 1), (100, 103, 'indirect', 2), (101, 103, 'direct', 1),
          (104, 105, 'direct', 1), (106, 107, 'direct', 1), (108, 109, 'direct', 1), (110, 111, 'direct', 1), (112, 113, 'direct', 1)
        ) as t(manager_user_key, user_key, relationship, depth)`,
      ]);
    });

    const inviteAll = async (who: string, tenant?: string) =>
      graphql<{ inviteAllManagers: Record<string, unknown> & { invitations: { email: string; role: string; lmsUserId: number; link: string }[] } }>(
        app,
        'mutation { inviteAllManagers { managers invited alreadyMembers deactivatedMembers membersWithOtherAccess alreadyInvited withoutEmail sharedEmail invitations { email role lmsUserId lmsUserName link delivery } } }',
        bearer((await signIn(who, PASSWORD, app, tenant)).token),
      );

    it('invites, linked to their LMS user, the active managers with an address who are neither members nor invited; a second run invites nobody', async () => {
      const admin = bearer((await signIn('admin@acme.test')).token);
      const pending = await graphql(app, 'mutation { inviteUser(email: "pending@acme.test", role: viewer) { id } }', admin);
      expect(pending.body.errors).toBeUndefined();
      // 112's manager, under a private address, deactivated: they cannot sign in, and letting them back is the admin's call.
      const formerManager = await graphql<{ inviteUser: { link: string } }>(app, 'mutation { inviteUser(email: "m112@example.test", role: manager, lmsUserId: 112) { link } }', admin);
      const joined = await graphql(
        app,
        `mutation { acceptInvitation(token: ${q(new URL(formerManager.body.data!.inviteUser.link).searchParams.get('token')!)}, password: ${q(PASSWORD)}) { role } }`,
      );
      expect(joined.body.data).toEqual({ acceptInvitation: { role: 'manager' } });
      const membershipId = (await prisma.membership.findFirstOrThrow({ where: { user: { email: 'm112@example.test' } } })).id;
      expect((await graphql(app, `mutation { deactivateUser(membershipId: ${q(membershipId)}) { status } }`, admin)).body.data).toEqual({ deactivateUser: { status: 'deactivated' } });

      const first = await inviteAll('admin@acme.test');
      expect(first.body.errors).toBeUndefined();
      expect(first.body.data!.inviteAllManagers).toEqual({
        managers: 7, // 7, 100, 101, 104, 106, 108, 112 (110 left; 103's indirect manager is 100, already counted)
        invited: 1,
        alreadyMembers: 1, // 7, linked to that LMS user
        deactivatedMembers: 1, // 112, linked to a deactivated member: neither counted as seeing their reports nor invited again
        membersWithOtherAccess: 1, // 104's address is a viewer's, who does not see 104's reports
        alreadyInvited: 1, // 106
        withoutEmail: 1, // 101
        sharedEmail: 1, // 108 shares boss@acme.test with 100
        invitations: [
          { email: 'boss@acme.test', role: 'manager', lmsUserId: 100, lmsUserName: 'Person 100', link: expect.stringContaining(`${PORTAL}/accept-invitation?token=`), delivery: 'logged' },
        ],
      });
      const accepted = await graphql<{ acceptInvitation: Session }>(
        app,
        `mutation { acceptInvitation(token: ${q(new URL(first.body.data!.inviteAllManagers.invitations[0]!.link).searchParams.get('token')!)}, password: ${q(PASSWORD)}) { role } }`,
      );
      expect(accepted.body.data).toEqual({ acceptInvitation: { role: 'manager' } });
      expect(Number((await prisma.membership.findFirstOrThrow({ where: { user: { email: 'boss@acme.test' } } })).lmsUserId)).toBe(100);

      const second = await inviteAll('admin@acme.test');
      // 108 shares the address boss@acme.test, a member now, but as 100's manager: not 108's.
      expect(second.body.data!.inviteAllManagers).toMatchObject({ managers: 7, invited: 0, alreadyMembers: 2, deactivatedMembers: 1, membersWithOtherAccess: 2, alreadyInvited: 1, sharedEmail: 0, invitations: [] });
      expect((await audit('user.invite_all_managers')).map((e) => (e.details as { invited: number }).invited)).toEqual([1, 0]);
    });

    it("names each manager's LMS person from the published data on the people page", async () => {
      const reply = await graphql<{ users: Member[] }>(app, `{ users { ${MEMBER} } }`, bearer((await signIn('admin@acme.test')).token));
      expect(reply.body.errors).toBeUndefined();
      const byEmail = new Map(reply.body.data!.users.map((m) => [m.email, m]));
      expect(byEmail.get('manager@acme.test')).toMatchObject({ lmsUserId: 7, lmsUserName: 'Mona Manager' });
      expect(byEmail.get('admin@acme.test')).toMatchObject({ lmsUserId: null, lmsUserName: null });
    });

    it("names each pending invitation's LMS person the same way: null when not linked; an id the published data lacks is refused", async () => {
      const admin = bearer((await signIn('admin@acme.test')).token);
      const sent = await graphql<{ inviteUser: { lmsUserName: string | null } }>(app, 'mutation { inviteUser(email: "r102@acme.test", role: manager, lmsUserId: 102) { lmsUserName } }', admin);
      expect(sent.body).toEqual({ data: { inviteUser: { lmsUserName: 'Person 102' } } });
      // A typo would link the manager to no one, and their dashboards would be empty: refused, naming the id.
      const unknown = await graphql(app, 'mutation { inviteUser(email: "not-in-lms@acme.test", role: manager, lmsUserId: 9999) { id } }', admin);
      expect(unknown.body.errors).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/^There is no LMS user 9999 in the published data \(version \d+\)\. A manager is linked to their LMS user id/), extensions: expect.objectContaining({ code: 'USER_INPUT_INVALID' }) }),
      ]);

      const reply = await graphql<{ pendingInvitations: { email: string; lmsUserId: number | null; lmsUserName: string | null }[] }>(
        app,
        '{ pendingInvitations { email lmsUserId lmsUserName } }',
        admin,
      );
      expect(reply.body.errors).toBeUndefined();
      const byEmail = new Map(reply.body.data!.pendingInvitations.map((i) => [i.email, i]));
      expect(byEmail.get('r102@acme.test')).toEqual({ email: 'r102@acme.test', lmsUserId: 102, lmsUserName: 'Person 102' });
      expect(byEmail.has('not-in-lms@acme.test')).toBe(false);
      expect(byEmail.get('pending@acme.test')).toEqual({ email: 'pending@acme.test', lmsUserId: null, lmsUserName: null });
      // Invited before the first publish, named once there is one.
      expect(byEmail.get('early@acme.test')).toEqual({ email: 'early@acme.test', lmsUserId: 7, lmsUserName: 'Mona Manager' });
    });

    it('says there is nothing to read before the first publish', async () => {
      const reply = await inviteAll('admin@globex.test', 'globex');
      expect(reply.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'NO_PUBLISHED_DATA' } })]);
    });
  });

  describe('password reset', () => {
    const request = (email: string, app_ = app) => graphql<{ requestPasswordReset: boolean }>(app_, `mutation { requestPasswordReset(email: ${q(email)}) }`);
    const reset = (token: string, password: string, app_ = app) =>
      graphql<{ resetPassword: boolean }>(app_, `mutation { resetPassword(token: ${q(token)}, newPassword: ${q(password)}) }`);

    it('without a mail server logs the link; the answer is the same for an address with no account', async () => {
      const unknown = await request('nobody@acme.test');
      const known = await request('Viewer@Acme.test');
      expect(known.body).toEqual({ data: { requestPasswordReset: true } });
      expect(unknown.body).toEqual(known.body);
      const logged = logs.lines.map((line) => JSON.stringify(line)).filter((line) => line.includes(`${PORTAL}/reset-password?token=`));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain('viewer@acme.test');
    });

    describe('with SMTP_URL, through a real SMTP server', () => {
      const sink = new SmtpSink();
      let mailing: NestFastifyApplication;

      beforeAll(async () => {
        await sink.start();
        mailing = await startGateway(stack, { PORTAL_URL: PORTAL, SMTP_URL: sink.url });
      });
      afterAll(async () => {
        await mailing?.close();
        await sink.stop();
      });

      it('mails an invitation link, the same one the admin gets back', async () => {
        const admin = await signIn('admin@acme.test', PASSWORD, mailing);
        const sent = await graphql<{ inviteUser: { link: string; delivery: string } }>(
          mailing,
          'mutation { inviteUser(email: "mailed@acme.test", role: viewer) { link delivery } }',
          bearer(admin.token),
        );
        expect(sent.body.data!.inviteUser.delivery).toBe('mailed');
        const mail = await sink.next();
        expect(mail.to).toEqual(['mailed@acme.test']);
        expect(mail.text).toContain('Subject: You are invited to Acme Health on Kineo Analytics');
        expect(mail.text).toContain(sent.body.data!.inviteUser.link);
      });

      it('mails a reset link (only for a real account); the reset sets the password and ends every session of the account', async () => {
        const before = await signIn('member@globex.test', PASSWORD, mailing);
        expect((await request('stranger@globex.test', mailing)).body.data).toEqual({ requestPasswordReset: true });
        expect((await request('member@globex.test', mailing)).body.data).toEqual({ requestPasswordReset: true });
        // Mail arrives in order, so the first one after the invitation shows the unknown address got none.
        const mail = await sink.next();
        expect(mail.to).toEqual(['member@globex.test']);
        const token = new RegExp(`${PORTAL}/reset-password\\?token=([A-Za-z0-9_-]{43})`).exec(mail.text)?.[1];
        expect(token).toBeDefined();

        expect(codeOf(await reset(token!, 'short', mailing))).toBe('PASSWORD_WEAK');
        expect((await reset(token!, NEW_PASSWORD, mailing)).body).toEqual({ data: { resetPassword: true } });
        expect(codeOf(await me(before.token, mailing))).toBe('UNAUTHENTICATED');
        expect(codeOf(await refresh(before.refreshToken))).toBe('UNAUTHENTICATED');
        expect(codeOf(await login(mailing, 'member@globex.test', PASSWORD))).toBe('UNAUTHENTICATED');
        expect((await signIn('member@globex.test', NEW_PASSWORD, mailing)).role).toBe('viewer');

        const reused = await reset(token!, 'yet another long passphrase', mailing);
        expect(reused.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'RESET_TOKEN_INVALID' } })]);
        expect(codeOf(await reset('not-a-token', NEW_PASSWORD, mailing))).toBe('RESET_TOKEN_INVALID');
        expect((await audit('auth.password_reset')).map((e) => (e.details as { sessionsEnded: number }).sessionsEnded)).toEqual([expect.any(Number)]);
      });

      it("mails the reset link an org admin sends a member, and does not show it to the admin", async () => {
        const admin = await signIn('admin@globex.test', PASSWORD, mailing, 'globex');
        const members = await graphql<{ users: { membershipId: string; email: string }[] }>(mailing, '{ users { membershipId email } }', bearer(admin.token));
        const member = members.body.data!.users.find((m) => m.email === 'member@globex.test')!;
        const sent = await graphql<{ sendPasswordReset: { delivery: string; link: string | null } }>(
          mailing,
          `mutation { sendPasswordReset(membershipId: ${q(member.membershipId)}) { delivery link } }`,
          bearer(admin.token),
        );
        expect(sent.body.data!.sendPasswordReset).toEqual({ delivery: 'mailed', link: null });
        const mail = await sink.next();
        expect(mail.to).toEqual(['member@globex.test']);
        expect(mail.text).toContain('Your administrator sent you a link to choose a new password');
        const token = new RegExp(`${PORTAL}/reset-password\\?token=([A-Za-z0-9_-]{43})`).exec(mail.text)?.[1];
        expect((await reset(token!, 'the member chose this one', mailing)).body).toEqual({ data: { resetPassword: true } });
        expect((await signIn('member@globex.test', 'the member chose this one', mailing)).role).toBe('viewer');
      });
    });
  });

  describe('Microsoft Entra ID sign-in (against an OpenID provider the test serves on loopback)', () => {
    const idp = new FakeOidcProvider();
    let globexAdmin: Record<string, string>;

    beforeAll(async () => {
      await idp.start();
      globexAdmin = bearer((await signIn('admin@globex.test', PASSWORD, app, 'globex')).token);
    });
    afterAll(() => idp.stop());

    const configure = (issuer: string, domains = '["globex.test"]') =>
      graphql<{ configureMicrosoftSignIn: boolean }>(
        app,
        `mutation { configureMicrosoftSignIn(issuer: ${q(issuer)}, clientId: ${q(idp.clientId)}, clientSecret: ${q(idp.clientSecret)}, allowedDomains: ${domains}) }`,
        globexAdmin,
      );
    const options = (tenant: string) => graphql<{ tenantSignInOptions: { password: boolean; microsoft: boolean } }>(app, `{ tenantSignInOptions(tenant: ${q(tenant)}) { password microsoft } }`);
    const fragmentOf = (location: string) => Object.fromEntries(new URLSearchParams(location.slice(location.indexOf('#') + 1)));

    /** What the portal's /api/session/microsoft passes to the start, and expects back with the session. */
    const PORTAL_NONCE = 'the-portal-nonce-of-this-browser-0123456789';

    /** The portal's server redeeming the code the browser came back with, with the nonce from its cookie. */
    const complete = async (code: string, nonce: string) => {
      const reply = await app.inject({ method: 'POST', url: '/auth/oidc/complete', payload: { code, nonce } });
      return { status: reply.statusCode, body: reply.json<{ token?: string; expiresAt?: string; role?: string; tenant?: string; code?: string; message?: string }>() };
    };

    /** The browser's round trip: start, sign in at the provider, come back to the callback with the state cookie. */
    async function flow(tenant: string, claims: Parameters<FakeOidcProvider['authorize']>[1], tamper: { cookie?: string; state?: string; nonce?: string | null } = {}) {
      const nonce = tamper.nonce === undefined ? PORTAL_NONCE : tamper.nonce;
      const start = await app.inject({ method: 'GET', url: `/auth/oidc/${tenant}/start${nonce === null ? '' : `?nonce=${encodeURIComponent(nonce)}`}` });
      expect(start.statusCode).toBe(302);
      const location = String(start.headers.location);
      if (!location.startsWith(idp.base)) return { start: location, location, fragment: fragmentOf(location) };
      const cookie = String(start.headers['set-cookie']).split(';')[0]!;
      const { code, state } = idp.authorize(location, claims);
      const callback = await app.inject({
        method: 'GET',
        url: `/auth/oidc/${tenant}/callback?${new URLSearchParams({ code, state: tamper.state ?? state }).toString()}`,
        headers: tamper.cookie === undefined ? { cookie } : tamper.cookie ? { cookie: tamper.cookie } : {},
      });
      expect(callback.statusCode).toBe(302);
      const back = String(callback.headers.location);
      return { start: location, location: back, fragment: fragmentOf(back) };
    }

    it('is configured per tenant by its org admin (audited, secret kept out of the log), and shown to the sign-in page', async () => {
      expect((await options('globex')).body.data).toEqual({ tenantSignInOptions: { password: true, microsoft: false } });
      expect(codeOf(await configure('http://login.example.com/x/v2.0'))).toBe('USER_INPUT_INVALID');
      expect((await configure(idp.issuer)).body).toEqual({ data: { configureMicrosoftSignIn: true } });

      expect((await options('globex')).body.data).toEqual({ tenantSignInOptions: { password: true, microsoft: true } });
      expect((await options('acme')).body.data).toEqual({ tenantSignInOptions: { password: true, microsoft: false } });
      expect((await options('no-such-tenant')).body.data).toEqual({ tenantSignInOptions: { password: true, microsoft: false } });
      const [event] = await audit('oidc.configured');
      expect(event!.details).toEqual({ issuer: idp.issuer, clientId: idp.clientId, allowedDomains: ['globex.test'], clientSecretChanged: true });
      expect(JSON.stringify(event!.details)).not.toContain(idp.clientSecret);
      expect(await createSecretStore(loadSettings(stack.env)).get(oidcClientSecretName(globex.id))).toBe(idp.clientSecret);
    });

    it('signs a member in: redirect to the provider with PKCE and a nonce, back to the portal with a working session', async () => {
      const { start, location, fragment } = await flow('globex', { email: 'Admin@Globex.test' });
      const authorize = new URL(start);
      expect(authorize.searchParams.get('redirect_uri')).toBe('http://localhost:80/auth/oidc/globex/callback');
      expect(authorize.searchParams.get('scope')).toBe('openid email profile');
      expect(location.startsWith(`${PORTAL}/auth/callback#`)).toBe(true);
      // No token in the URL: a code, which opens the session only with the nonce the portal started it with.
      expect(Object.keys(fragment)).toEqual(['code']);
      expect(location).not.toContain(PORTAL_NONCE);
      const sessions = await prisma.session.count({ where: { method: 'oidc' } });
      const done = await complete(fragment.code!, PORTAL_NONCE);
      expect(done).toEqual({ status: 200, body: { token: expect.any(String), expiresAt: expect.any(String), role: 'org_admin', tenant: 'globex' } });
      expect((await me(done.body.token!)).body.data).toEqual({ me: { email: 'admin@globex.test', role: 'org_admin' } });
      const session = await prisma.session.findUniqueOrThrow({ where: { id: claimsOf(done.body.token!).sid as string } });
      expect(session.method).toBe('oidc');
      // The code is used once: the same answer (a reload, a copy of the link) opens no second session.
      expect(await complete(fragment.code!, PORTAL_NONCE)).toEqual({
        status: 400,
        body: { code: 'OIDC_FAILED', message: 'Microsoft sign-in failed: this sign-in code was used already; start again.' },
      });
      expect(await prisma.session.count({ where: { method: 'oidc' } })).toBe(sessions + 1);
    });

    it("opens no session for a code redeemed without the nonce of the browser that started the sign-in (a link with the attacker's own code)", async () => {
      // The attacker signs in themselves, with a nonce of their own, and sends the code they got back as a link.
      const { fragment } = await flow('globex', { email: 'admin@globex.test' }, { nonce: 'the-attackers-own-nonce-0123456789abcdef' });
      const sessions = await prisma.session.count();
      // The victim's portal redeems it with the victim's nonce.
      expect(await complete(fragment.code!, PORTAL_NONCE)).toEqual({
        status: 403,
        body: { code: 'SIGN_IN_NOT_STARTED_HERE', message: 'This sign-in was not started in this browser; sign in again.' },
      });
      expect(await complete(`${fragment.code!.slice(0, -4)}AAAA`, 'the-attackers-own-nonce-0123456789abcdef')).toMatchObject({ status: 400, body: { code: 'OIDC_FAILED' } });
      expect((await complete('not-a-code', PORTAL_NONCE)).body.code).toBe('OIDC_FAILED');
      expect((await app.inject({ method: 'POST', url: '/auth/oidc/complete', payload: { code: fragment.code } })).statusCode).toBe(400);
      expect(await prisma.session.count()).toBe(sessions);
    });

    it('creates no account for an address that is not a member, and refuses a domain that is not allowed', async () => {
      // The portal is told the code and why; it has its own words for them (a link's text is never shown).
      const stranger = await flow('globex', { email: 'stranger@globex.test' });
      expect(stranger.fragment).toEqual({ error: 'FORBIDDEN', reason: 'not_a_member' });
      expect(await prisma.user.count({ where: { email: 'stranger@globex.test' } })).toBe(0);

      // The domain rule is checked before membership.
      const domain = await flow('globex', { email: 'admin@acme.test' });
      expect(domain.fragment).toEqual({ error: 'FORBIDDEN', reason: 'domain_not_allowed' });
      const logged = logs.lines.map((line) => JSON.stringify(line));
      expect(logged.some((line) => line.includes('admin@acme.test may not sign in to Globex with Microsoft: only globex.test addresses may.'))).toBe(true);
    });

    it.each([
      ['a nonce from another sign-in', { nonce: 'someone-elses-nonce' }],
      ['a key the provider does not publish', { foreignKey: true }],
      ['another audience', { aud: 'another-app' }],
      ['another issuer', { iss: 'https://login.microsoftonline.com/other/v2.0' }],
      ['an expired ID token', { expiresInSeconds: -3600 }],
    ])('refuses an ID token with %s', async (_what, forged) => {
      const { fragment } = await flow('globex', { email: 'admin@globex.test', ...forged });
      expect(fragment).toEqual({ error: 'OIDC_FAILED' });
    });

    it('refuses an answer without the state cookie, or with a state from another sign-in', async () => {
      const noCookie = await flow('globex', { email: 'admin@globex.test' }, { cookie: '' });
      expect(noCookie.fragment).toEqual({ error: 'OIDC_FAILED' });
      const otherState = await flow('globex', { email: 'admin@globex.test' }, { state: 'not-the-state' });
      expect(otherState.fragment).toEqual({ error: 'OIDC_FAILED' });
      const logged = logs.lines.map((line) => JSON.stringify(line));
      expect(logged.some((line) => line.includes('no sign-in in progress'))).toBe(true);
      expect(logged.some((line) => line.includes('state mismatch'))).toBe(true);
    });

    it("starts no sign-in without the portal's nonce: nothing comes back that the portal would complete", async () => {
      for (const nonce of [null, 'short', 'not a nonce at all, spaces and all']) {
        const { start, fragment } = await flow('globex', { email: 'admin@globex.test' }, { nonce });
        expect(start.startsWith(idp.base)).toBe(false);
        expect(fragment).toEqual({ error: 'OIDC_FAILED' });
      }
    });

    describe("an identity provider the gateway should not or cannot read (it is fetched for anyone who opens the sign-in link)", () => {
      /** A loopback service that is not an identity provider, like the QA's Redis or /metrics: it counts what it is asked. */
      let hits: string[];
      let answer: (path: string) => { status: number; body: string };
      let server: http.Server;
      let base = '';
      beforeAll(async () => {
        hits = [];
        server = http.createServer((request, response) => {
          hits.push(request.url ?? '');
          const { status, body } = answer(request.url ?? '');
          response.writeHead(status, { 'content-type': 'text/plain' }).end(body);
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      });
      afterAll(async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        // Back to the working provider for the tests after these.
        expect((await configure(idp.issuer)).body).toEqual({ data: { configureMicrosoftSignIn: true } });
      });

      it('is refused when the org admin saves it, with what is wrong (and nothing is saved)', async () => {
        answer = () => ({ status: 404, body: '# HELP http_requests_total secret metrics' });
        const notFound = await configure(`${base}/metrics-1`);
        expect(codeOf(notFound)).toBe('USER_INPUT_INVALID');
        expect(notFound.body.errors?.[0]?.message).toBe(
          `Microsoft sign-in was not turned on: could not read the identity provider's configuration at ${base}/metrics-1/.well-known/openid-configuration (HTTP 404).`,
        );
        answer = () => ({ status: 200, body: '# HELP http_requests_total secret metrics' });
        const notJson = await configure(`${base}/metrics-2`);
        expect(notJson.body.errors?.[0]?.message).toBe(
          `Microsoft sign-in was not turned on: the answer at ${base}/metrics-2/.well-known/openid-configuration is not an OpenID configuration (not JSON).`,
        );
        expect(notJson.body.errors?.[0]?.message).not.toContain('HELP');
        expect((await prisma.oidcProvider.findFirstOrThrow({ where: { tenantId: globex.id } })).issuer).toBe(idp.issuer);
      });

      it('is refused when its discovery document sends the token endpoint or the keys somewhere the gateway may not fetch', async () => {
        const issuer = `${base}/directory-9/v2.0`;
        for (const [field, where] of [
          ['token_endpoint', 'http://169.254.169.254/metadata/identity/oauth2/token'],
          ['jwks_uri', 'http://10.0.0.7/keys'],
          ['authorization_endpoint', 'http://intranet.example/authorize'],
        ] as const) {
          answer = () => ({
            status: 200,
            body: JSON.stringify({
              issuer,
              authorization_endpoint: `${base}/directory-9/authorize`,
              token_endpoint: `${base}/directory-9/token`,
              jwks_uri: `${base}/directory-9/keys`,
              [field]: where,
            }),
          });
          const refused = await configure(issuer);
          expect(codeOf(refused)).toBe('USER_INPUT_INVALID');
          expect(refused.body.errors?.[0]?.message).toContain(`names a ${field} (${where}) that must use https`);
        }
      });

      it('tells an anonymous visitor only that Microsoft sign-in is not working, and does not fetch again at every visit', async () => {
        // Saved before these checks, or the directory went away since: the start fails.
        answer = () => ({ status: 404, body: '# HELP http_requests_total secret metrics' });
        const issuer = `${base}/gone/v2.0`;
        await prisma.oidcProvider.update({ where: { tenantId: globex.id }, data: { issuer } });
        hits.length = 0;
        for (let i = 0; i < 3; i++) {
          const { location, fragment } = await flow('globex', { email: 'admin@globex.test' });
          expect(location).toBe(`${PORTAL}/auth/callback#error=OIDC_UNAVAILABLE`);
          expect(fragment).toEqual({ error: 'OIDC_UNAVAILABLE' });
        }
        expect(hits).toEqual(['/gone/v2.0/.well-known/openid-configuration']);
        // The detail is in the gateway's log.
        const logged = logs.lines.map((line) => JSON.stringify(line));
        expect(logged.some((line) => line.includes(`${issuer}/.well-known/openid-configuration (HTTP 404)`))).toBe(true);
      });
    });

    it('sends a tenant without Microsoft sign-in back to the portal with OIDC_NOT_CONFIGURED', async () => {
      const { location, fragment } = await flow('acme', {});
      expect(location.startsWith(`${PORTAL}/auth/callback#`)).toBe(true);
      expect(fragment).toEqual({ error: 'OIDC_NOT_CONFIGURED' });
    });
  });

  // Last: the people it adds would be counted by the tests of members and logged links above.
  describe("a signed-in person's own account: their password and their other sign-ins", () => {
    type AccountReply = { account: { hasPassword: boolean; otherSessions: number } };
    const account = (token: string) => graphql<AccountReply>(app, '{ account { hasPassword otherSessions } }', bearer(token));
    const change = (token: string, current: string, next: string) =>
      graphql<{ changePassword: { sessionsEnded: number } }>(app, `mutation { changePassword(currentPassword: ${q(current)}, newPassword: ${q(next)}) { sessionsEnded } }`, bearer(token));
    const person = async (email: string) => {
      await new UserService(prisma).create({ email, password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
    };

    it('changes the password once the current one is given: the other sign-ins end, this one goes on, and a reset link asked for before stops working', async () => {
      await person('changer@acme.test');
      const laptop = await signIn('changer@acme.test');
      const phone = await signIn('changer@acme.test');
      const here = await signIn('changer@acme.test');
      expect((await account(here.token)).body).toEqual({ data: { account: { hasPassword: true, otherSessions: 2 } } });
      // Signed out elsewhere already: not counted.
      await graphql(app, 'mutation { logout }', bearer(laptop.token));
      expect((await account(here.token)).body.data?.account.otherSessions).toBe(1);
      await graphql(app, `mutation { requestPasswordReset(email: ${q('changer@acme.test')}) }`);
      const resetLink = logs.lines.map((line) => JSON.stringify(line)).reverse().find((line) => line.includes('changer@acme.test') && line.includes('/reset-password?token='));
      const resetToken = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(resetLink ?? '')?.[1];
      expect(resetToken).toBeDefined();

      const wrong = await change(here.token, 'not my password at all', NEW_PASSWORD);
      expect(codeOf(wrong)).toBe('CURRENT_PASSWORD_WRONG');
      expect(wrong.body.errors?.[0]?.message).toBe('Your current password is not right, so nothing was changed.');
      // A wrong guess is not a signed-out session: the portal keeps the person on the page.
      expect((await me(here.token)).body.data?.me.email).toBe('changer@acme.test');
      expect(codeOf(await change(here.token, PASSWORD, PASSWORD))).toBe('PASSWORD_WEAK');
      expect(codeOf(await change(here.token, PASSWORD, 'short'))).toBe('PASSWORD_WEAK');
      expect((await login(app, 'changer@acme.test', PASSWORD)).body.errors).toBeUndefined();

      const changed = await change(here.token, PASSWORD, NEW_PASSWORD);
      expect(changed.body).toEqual({ data: { changePassword: { sessionsEnded: 2 } } });
      expect(codeOf(await me(phone.token))).toBe('UNAUTHENTICATED');
      expect(codeOf(await refresh(phone.refreshToken))).toBe('UNAUTHENTICATED');
      expect((await me(here.token)).body.data?.me.email).toBe('changer@acme.test');
      expect((await refresh(here.refreshToken)).body.errors).toBeUndefined();
      expect(codeOf(await login(app, 'changer@acme.test', PASSWORD))).toBe('UNAUTHENTICATED');
      expect((await login(app, 'changer@acme.test', NEW_PASSWORD)).body.errors).toBeUndefined();
      const reset = await graphql(app, `mutation { resetPassword(token: ${q(resetToken!)}, newPassword: ${q('set back by an old link')}) }`);
      expect(codeOf(reset)).toBe('RESET_TOKEN_INVALID');
      const user = await prisma.user.findUniqueOrThrow({ where: { email: 'changer@acme.test' } });
      expect((await audit('auth.password_changed')).filter((e) => e.actor === user.id).map((e) => (e.details as { sessionsEnded: number }).sessionsEnded)).toEqual([2]);
      expect((await audit('auth.password_change_failed')).filter((e) => e.actor === user.id)).toHaveLength(1);
    });

    it('throttles wrong current passwords like sign-ins: after five, even the right one waits', async () => {
      await person('guesser@acme.test');
      const session = await signIn('guesser@acme.test');
      for (let i = 0; i < 5; i++) expect(codeOf(await change(session.token, `wrong guess number ${i}`, NEW_PASSWORD))).toBe('CURRENT_PASSWORD_WRONG');
      const locked = await change(session.token, PASSWORD, NEW_PASSWORD);
      expect(codeOf(locked)).toBe('TOO_MANY_ATTEMPTS');
      expect(locked.body.errors?.[0]?.message).toMatch(/^Too many password change attempts; try again in \d+ seconds\.$/);
      expect((await login(app, 'guesser@acme.test', PASSWORD)).body.errors).toBeUndefined();
    });

    it("lets the owner of an account someone keeps locked with wrong passwords back in through a reset link", async () => {
      await person('locked.out@acme.test');
      for (let i = 0; i < 5; i++) expect(codeOf(await login(app, 'locked.out@acme.test', `a wrong guess ${i}`))).toBe('UNAUTHENTICATED');
      expect(codeOf(await login(app, 'locked.out@acme.test', PASSWORD))).toBe('TOO_MANY_ATTEMPTS');
      await graphql(app, `mutation { requestPasswordReset(email: ${q('locked.out@acme.test')}) }`);
      const line = logs.lines.map((l) => JSON.stringify(l)).reverse().find((l) => l.includes('locked.out@acme.test') && l.includes('/reset-password?token='));
      const token = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(line ?? '')?.[1];
      expect((await graphql(app, `mutation { resetPassword(token: ${q(token!)}, newPassword: ${q(NEW_PASSWORD)}) }`)).body).toEqual({ data: { resetPassword: true } });
      // At once, not when the lock runs out.
      expect((await login(app, 'locked.out@acme.test', NEW_PASSWORD)).body.errors).toBeUndefined();
    });

    it("counts wrong passwords given to accept an invitation against that account's sign-in lock, as sign-in's are", async () => {
      await new UserService(prisma).create({ email: 'guessed@globex.test', password: PASSWORD, grant: { tenantSlug: 'globex', role: 'viewer' }, actor: 'test' });
      const admin = bearer((await signIn('admin@acme.test')).token);
      const sent = await graphql<{ inviteUser: { link: string } }>(app, 'mutation { inviteUser(email: "guessed@globex.test", role: viewer) { link } }', admin);
      const token = new URL(sent.body.data!.inviteUser.link).searchParams.get('token')!;
      const accept = (password: string) => graphql(app, `mutation { acceptInvitation(token: ${q(token)}, password: ${q(password)}) { token } }`);
      for (let i = 0; i < 5; i++) expect(codeOf(await accept(`a wrong guess ${i}`))).toBe('UNAUTHENTICATED');
      // The account is locked for sign-in as five wrong sign-ins would lock it.
      expect(codeOf(await login(app, 'guessed@globex.test', PASSWORD))).toBe('TOO_MANY_ATTEMPTS');
    });

    it("says there is no password to change for someone who signs in with Microsoft only, and ends the other sign-ins on request", async () => {
      await person('entra.only@acme.test');
      const other = await signIn('entra.only@acme.test');
      const here = await signIn('entra.only@acme.test');
      await prisma.user.update({ where: { email: 'entra.only@acme.test' }, data: { passwordHash: null } });
      expect((await account(here.token)).body).toEqual({ data: { account: { hasPassword: false, otherSessions: 1 } } });
      const refused = await change(here.token, PASSWORD, NEW_PASSWORD);
      expect(codeOf(refused)).toBe('FORBIDDEN');
      expect(refused.body.errors?.[0]?.message).toMatch(/^Your account has no Kineo Analytics password to change: you sign in with your organisation's Microsoft account\./);

      expect((await graphql(app, 'mutation { signOutOtherSessions }', bearer(here.token))).body).toEqual({ data: { signOutOtherSessions: 1 } });
      expect(codeOf(await me(other.token))).toBe('UNAUTHENTICATED');
      expect((await me(here.token)).body.data?.me.email).toBe('entra.only@acme.test');
      expect((await account(here.token)).body.data?.account.otherSessions).toBe(0);
      expect(codeOf(await account('not a token'))).toBe('UNAUTHENTICATED');
    });
  });
});
