import { createHash } from 'node:crypto';
import { UserService } from '@kineo/auth';
import { createPrismaClient, TenantService, type PrismaClient, type Tenant } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { graphql, startGateway, type GraphqlReply } from './support/gateway';
import { publishGold } from './support/published-gold';

const PASSWORD = 'correct horse battery staple';
const q = (value: string) => JSON.stringify(value);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const codeOf = (reply: GraphqlReply) => reply.body.errors?.[0]?.extensions?.code ?? 'OK';
const messageOf = (reply: GraphqlReply) => reply.body.errors?.[0]?.message;
const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

interface Invitation { id: string; email: string; lmsUserId: number | null; link: string }
interface Member { membershipId: string; email: string; role: string; lmsUserId: number | null; organisationIds: number[] }
interface ManagerInvitations { managers: number; invited: number; alreadyMembers: number; membersWithOtherAccess: number; alreadyInvited: number; withoutEmail: number; sharedEmail: number; invitations: Invitation[] }

describe("the org admin's people page: invitations, roles and seats", () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let redis: Redis;
  let app: NestFastifyApplication;
  let acme: Tenant;
  let admin: Record<string, string>;

  const invite = (args: string) => graphql<{ inviteUser: Invitation }>(app, `mutation { inviteUser(${args}) { id email lmsUserId link } }`, admin);
  const inviteAll = () =>
    graphql<{ inviteAllManagers: ManagerInvitations }>(
      app,
      'mutation { inviteAllManagers { managers invited alreadyMembers membersWithOtherAccess alreadyInvited withoutEmail sharedEmail invitations { id email lmsUserId link } } }',
      admin,
    );
  const users = async () => (await graphql<{ users: Member[] }>(app, '{ users { membershipId email role lmsUserId organisationIds } }', admin)).body.data!.users;
  const memberOf = async (email: string) => (await users()).find((m) => m.email === email)!;
  const seats = async () => (await graphql<{ seats: { limit: number | null; used: number; free: number | null } }>(app, '{ seats { limit used free } }', admin)).body.data!.seats;
  /** acceptInvitation from one client address, as the portal relays it. */
  async function accept(link: string, password = PASSWORD, from = '203.0.113.10'): Promise<GraphqlReply<{ acceptInvitation: { role: string } }>> {
    const response = await app.inject({
      method: 'POST',
      url: '/graphql',
      remoteAddress: from,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ query: 'mutation ($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p) { role } }', variables: { t: tokenOf(link), p: password } }),
    });
    return { status: response.statusCode, headers: response.headers, body: response.json() };
  }
  /** The plan's seats, as Kineo sets them for the organisation (an override on its subscription). */
  const setSeatLimit = async (seatLimit: number | null) => prisma.subscription.updateMany({ where: { tenantId: acme.id }, data: { seatLimit } });
  const signIn = async (email: string) =>
    bearer((await graphql<{ login: { token: string } }>(app, `mutation { login(email: ${q(email)}, password: ${q(PASSWORD)}) { token } }`)).body.data!.login.token);

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    redis = new Redis(stack.redisUrl);
    const tenants = new TenantService(prisma);
    for (const [slug, name] of [['acme', 'Acme Health'], ['globex', 'Globex']] as const) {
      const tenant = await tenants.create({ slug, name, actor: 'test' });
      await tenants.markActive(tenant.id, 'test');
    }
    acme = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
    const accounts = new UserService(prisma);
    await accounts.create({ email: 'admin@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'org_admin' }, actor: 'test' });
    await accounts.create({ email: 'someone@globex.test', password: PASSWORD, grant: { tenantSlug: 'globex', role: 'viewer' }, actor: 'test' });
    await accounts.create({ email: 'ops@kineo.test', password: PASSWORD, grant: { ops: true }, actor: 'test' });

    await publishGold(stack, acme, [
      `create or replace table gold.dim_user as select *, 'Person ' || user_id as full_name from (values
        (-1, -1, 'N/A', false), (200, 200, 'm200@acme.test', true), (201, 201, 'm201@acme.test', true), (202, 202, 'm202@acme.test', true),
        (203, 203, 'm203@acme.test', true), (300, 300, 'r300@acme.test', true), (301, 301, 'r301@acme.test', true),
        (302, 302, 'r302@acme.test', true), (303, 303, 'r303@acme.test', true), (204, 204, 'v204@acme.test', true), (304, 304, 'r304@acme.test', true)
      ) as t(user_key, user_id, email, is_active)`,
      `create or replace table gold.dim_manager_relationship as select * from (values
        (200, 300, 'direct', 1), (201, 301, 'direct', 1), (202, 302, 'direct', 1), (203, 303, 'direct', 1), (204, 304, 'direct', 1)
      ) as t(manager_user_key, user_key, relationship, depth)`,
      `create or replace table gold.dim_organisation as select * from (values (-1, -1, 'Unknown'), (2, 2, 'Nursing'), (4, 4, 'Wards')) as t(organisation_key, organisation_id, label)`,
    ]);
    app = await startGateway(stack, { PORTAL_URL: 'https://portal.kineo.test' });
    admin = await signIn('admin@acme.test');
  });

  afterAll(async () => {
    await app?.close();
    redis?.disconnect();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it('refuses an e-mail address of 10,000 characters by saying it is too long, without repeating it', async () => {
    const reply = await invite(`email: ${q(`${'a'.repeat(10_000)}@acme.test`)}, role: viewer`);
    expect(reply.body.errors).toEqual([
      expect.objectContaining({ message: 'The e-mail address is too long; at most 254 characters.', extensions: { code: 'EMAIL_INVALID', argument: 'email' } }),
    ]);
  });

  describe('seats', () => {
    afterEach(() => setSeatLimit(null));

    it('sends an invitation again to an address already invited when every seat is taken, or more: the new link replaces the old one, taking no seat', async () => {
      const { used } = await seats();
      await setSeatLimit(used + 1);
      const first = await invite('email: "again@acme.test", role: viewer');
      expect(first.body.errors).toBeUndefined();
      expect(await seats()).toMatchObject({ used: used + 1, free: 0 });

      const second = await invite('email: "again@acme.test", role: viewer');
      expect(second.body.errors).toBeUndefined();
      expect(await seats()).toMatchObject({ used: used + 1, free: 0 });
      // Even once Kineo has lowered the seats below those taken.
      await setSeatLimit(used);
      expect((await invite('email: "again@acme.test", role: viewer')).body.errors).toBeUndefined();
      expect(await seats()).toMatchObject({ used: used + 1, free: 0 });
      await setSeatLimit(used + 1);
      expect(codeOf(await accept(first.body.data!.inviteUser.link))).toBe('INVITATION_INVALID');
      // Someone new still does not fit.
      const full = await invite('email: "new@acme.test", role: viewer');
      expect(messageOf(full)).toBe(
        `The plan allows ${used + 1} people (members and pending invitations) and all ${used + 1} seats are taken: this invitation needs one. Deactivate someone or withdraw an invitation, or ask Kineo for a plan with more seats.`,
      );
    });

    it('says how many invitations "invite every manager" needs and how many seats are free', async () => {
      const { used } = await seats();
      await setSeatLimit(used + 1);
      const reply = await inviteAll();
      expect(reply.body.errors).toEqual([
        expect.objectContaining({
          message: `The plan allows ${used + 1} people (members and pending invitations) and ${used} seats are taken: 5 invitations need a seat each and 1 is free, so none was sent. Deactivate someone or withdraw an invitation, or ask Kineo for a plan with more seats.`,
          extensions: { code: 'PLAN_LIMIT' },
        }),
      ]);
      expect(await prisma.invitation.count({ where: { tenantId: acme.id, email: { startsWith: 'm20' } } })).toBe(0);
    });

    it('tells an invitee refused for want of a seat whom to ask, however often they try, and lets them in once a seat is free', async () => {
      const sent = (await invite('email: "late@acme.test", role: viewer')).body.data!.inviteUser;
      // Kineo lowered the plan's seats after the invitation was sent.
      await setSeatLimit((await seats()).used - 1);
      for (let i = 0; i < 8; i++) {
        const refused = await accept(sent.link);
        expect(refused.body.errors).toEqual([
          expect.objectContaining({
            message: 'Acme Health has no seat free for you now: every seat of its plan is taken. Ask whoever invited you, an administrator of Acme Health, to free one; this link keeps working until it expires.',
            extensions: { code: 'PLAN_LIMIT' },
          }),
        ]);
      }
      await setSeatLimit(null);
      expect((await accept(sent.link)).body).toEqual({ data: { acceptInvitation: { role: 'viewer' } } });
    });

    it('lets many invitees behind one address be refused for want of a seat without locking that address', async () => {
      const links = [];
      for (let i = 0; i < 22; i++) links.push((await invite(`email: "office-${i}@acme.test", role: viewer`)).body.data!.inviteUser.link);
      await setSeatLimit((await seats()).used - 1);
      for (const link of links) expect(codeOf(await accept(link, PASSWORD, '198.51.100.7'))).toBe('PLAN_LIMIT');
      await setSeatLimit(null);
      expect(codeOf(await accept(links[0]!, PASSWORD, '198.51.100.7'))).toBe('OK');
    });
  });

  describe('the acceptance throttle', () => {
    it('counts wrong passwords, says how long to wait, and lets the invitee try again once that wait is over', async () => {
      const sent = (await invite('email: "someone@globex.test", role: viewer')).body.data!.inviteUser;
      for (let i = 0; i < 5; i++) expect(codeOf(await accept(sent.link, `not the password ${i}`, '203.0.113.20'))).toBe('UNAUTHENTICATED');
      const locked = await accept(sent.link, PASSWORD, '203.0.113.20');
      expect(locked.body.errors![0]).toMatchObject({ message: 'Too many invitation attempts; try again in 30 seconds.', extensions: { code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 30 } });
      const lock = `kineo:invitation:account:${createHash('sha256').update(tokenOf(sent.link)).digest('hex')}:lock`;
      // The address has an account: the wrong passwords also locked that account's sign-in, for as long.
      const accountLock = `kineo:login:account:${createHash('sha256').update('someone@globex.test').digest('hex')}:lock`;
      // The wait told covers the locks, and nothing else holds the invitee back once it is over.
      for (const key of [lock, accountLock]) {
        expect(await redis.pttl(key)).toBeGreaterThan(0);
        expect(await redis.pttl(key)).toBeLessThanOrEqual(30_000);
      }
      await redis.del(lock, accountLock);
      expect(codeOf(await accept(sent.link, 'not the password again', '203.0.113.20'))).toBe('UNAUTHENTICATED');
      // Another miss doubles the wait; after it, the right password gets in.
      const longer = await accept(sent.link, PASSWORD, '203.0.113.20');
      expect(longer.body.errors![0]!.extensions).toEqual({ code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 60 });
      await redis.del(lock, accountLock);
      expect((await accept(sent.link, PASSWORD, '203.0.113.20')).body).toEqual({ data: { acceptInvitation: { role: 'viewer' } } });
    });
  });

  describe('inviteAllManagers', () => {
    it('invites each manager once: not again one invited under another address, and again one whose manager role was changed to viewer; a viewer at a manager\'s address is told apart', async () => {
      // 200 was invited by hand under a private address.
      expect((await invite('email: "mona@example.test", role: manager, lmsUserId: 200')).body.errors).toBeUndefined();
      // 201 was a manager, and is a viewer now: their link to 201's reports goes with the role.
      const former = (await invite('email: "former@acme.test", role: manager, lmsUserId: 201')).body.data!.inviteUser;
      expect(codeOf(await accept(former.link))).toBe('OK');
      const demoted = await graphql<{ changeRole: Member }>(
        app,
        `mutation { changeRole(membershipId: ${q((await memberOf('former@acme.test')).membershipId)}, role: viewer) { role lmsUserId } }`,
        admin,
      );
      expect(demoted.body.data!.changeRole).toEqual({ role: 'viewer', lmsUserId: null });
      // 204's address is a viewer's: a member, who does not see 204's reports, and cannot be invited again.
      expect(codeOf(await accept((await invite('email: "v204@acme.test", role: viewer')).body.data!.inviteUser.link))).toBe('OK');

      const reply = await inviteAll();
      expect(reply.body.errors).toBeUndefined();
      const result = reply.body.data!.inviteAllManagers;
      expect(result).toMatchObject({ managers: 5, invited: 3, alreadyMembers: 0, membersWithOtherAccess: 1, alreadyInvited: 1, withoutEmail: 0, sharedEmail: 0 });
      expect(result.invitations.map((i) => [i.email, i.lmsUserId])).toEqual([
        ['m201@acme.test', 201],
        ['m202@acme.test', 202],
        ['m203@acme.test', 203],
      ]);
      const pendingFor200 = await graphql<{ pendingInvitations: { email: string; lmsUserId: number | null }[] }>(app, '{ pendingInvitations { email lmsUserId } }', admin);
      expect(pendingFor200.body.data!.pendingInvitations.filter((i) => i.lmsUserId === 200)).toEqual([{ email: 'mona@example.test', lmsUserId: 200 }]);
    });

    it('refuses an LMS user id for anyone but a manager, so no other role carries one', async () => {
      const reply = await invite('email: "linked-viewer@acme.test", role: viewer, lmsUserId: 300');
      expect(reply.body.errors).toEqual([
        expect.objectContaining({ message: 'Only a manager is linked to an LMS user (the one their reports hang under); a viewer is not, so leave the LMS user id out.', extensions: { code: 'USER_INPUT_INVALID' } }),
      ]);
    });
  });

  describe("a viewer's organisations", () => {
    it('refuses organisation ids the published data does not have, naming them, on invitation and on a grant', async () => {
      const refused = await invite('email: "viewer@acme.test", role: viewer, organisationIds: [2, 99999]');
      expect(refused.body.errors).toEqual([
        expect.objectContaining({
          message: 'There is no LMS organisation 99999 in the published data (version 1). A viewer is granted organisations by their LMS id: check them, or load an export that has them first.',
          extensions: { code: 'USER_INPUT_INVALID' },
        }),
      ]);
      expect(await prisma.invitation.count({ where: { email: 'viewer@acme.test' } })).toBe(0);

      const sent = (await invite('email: "viewer@acme.test", role: viewer, organisationIds: [2]')).body.data!.inviteUser;
      expect(codeOf(await accept(sent.link))).toBe('OK');
      const id = (await memberOf('viewer@acme.test')).membershipId;
      const grant = (ids: string) => graphql<{ grantViewerOrganisations: Member }>(app, `mutation { grantViewerOrganisations(membershipId: ${q(id)}, organisationIds: ${ids}) { organisationIds } }`, admin);
      const unknown = await grant('[4, 424242, 99999]');
      expect(messageOf(unknown)).toBe(
        'There are no LMS organisations 99999, 424242 in the published data (version 1). A viewer is granted organisations by their LMS id: check them, or load an export that has them first.',
      );
      expect((await memberOf('viewer@acme.test')).organisationIds).toEqual([2]);
      expect((await grant('[4, 2]')).body.data!.grantViewerOrganisations.organisationIds).toEqual([2, 4]);
    });
  });

  describe('a password reset the org admin sends a member', () => {
    interface Sent { email: string; delivery: string; link: string | null; expiresAt: string }
    const send = async (email: string, as = admin) =>
      graphql<{ sendPasswordReset: Sent }>(app, `mutation { sendPasswordReset(membershipId: ${q((await memberOf(email)).membershipId)}) { email delivery link expiresAt } }`, as);
    const resetWith = (link: string, password: string) =>
      graphql<{ resetPassword: boolean }>(app, 'mutation ($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', {}, { t: tokenOf(link), p: password });
    const login = (email: string, password: string) => graphql<{ login: { token: string } }>(app, `mutation { login(email: ${q(email)}, password: ${q(password)}) { token } }`);
    const accounts = () => new UserService(prisma);

    it('without a mail server gives the admin the link to pass on; it sets a new password once, and a newer link replaces it', async () => {
      await accounts().create({ email: 'forgot@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
      const first = await send('forgot@acme.test');
      expect(first.body.errors).toBeUndefined();
      const sent = first.body.data!.sendPasswordReset;
      expect(sent).toMatchObject({ email: 'forgot@acme.test', delivery: 'logged', link: expect.stringMatching(/^https:\/\/portal\.kineo\.test\/reset-password\?token=/) });
      expect(new Date(sent.expiresAt).getTime() - Date.now()).toBeGreaterThan(55 * 60_000);
      // Until the link is used the old password still works.
      expect(codeOf(await login('forgot@acme.test', PASSWORD))).toBe('OK');

      const second = (await send('forgot@acme.test')).body.data!.sendPasswordReset;
      expect(codeOf(await resetWith(sent.link!, 'a brand new passphrase'))).toBe('RESET_TOKEN_INVALID');
      expect((await resetWith(second.link!, 'a brand new passphrase')).body.data).toEqual({ resetPassword: true });
      expect(codeOf(await login('forgot@acme.test', 'a brand new passphrase'))).toBe('OK');
      expect(codeOf(await login('forgot@acme.test', PASSWORD))).toBe('UNAUTHENTICATED');
      expect(codeOf(await resetWith(second.link!, 'and another passphrase'))).toBe('RESET_TOKEN_INVALID');

      const events = await prisma.auditEvent.findMany({ where: { action: 'user.password_reset_sent', tenantId: acme.id }, orderBy: { id: 'asc' } });
      expect(events.map((e) => e.details)).toEqual([
        expect.objectContaining({ email: 'forgot@acme.test', delivery: 'logged', linkShown: true }),
        expect.objectContaining({ email: 'forgot@acme.test', delivery: 'logged', linkShown: true }),
      ]);
    });

    it('shows no link for an account with access beyond the organisation, nor for Kineo ops, and makes none', async () => {
      await accounts().create({ email: 'both@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
      await accounts().create({ email: 'both@acme.test', password: PASSWORD, grant: { tenantSlug: 'globex', role: 'org_admin' }, actor: 'test' });
      await accounts().create({ email: 'kineo-ops@acme.test', password: PASSWORD, grant: { ops: true }, actor: 'test' });
      await accounts().create({ email: 'kineo-ops@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
      for (const email of ['both@acme.test', 'kineo-ops@acme.test']) {
        const refused = await send(email);
        expect(refused.body.data ?? null).toBeNull();
        expect(codeOf(refused)).toBe('FORBIDDEN');
        expect(messageOf(refused)).toContain(`${email} also has access beyond this organisation`);
        const user = await prisma.user.findUniqueOrThrow({ where: { email } });
        expect(await prisma.passwordReset.count({ where: { userId: user.id } })).toBe(0);
      }
    });

    it('is refused for a deactivated member (saying to reactivate first) and for anyone but an org admin', async () => {
      await accounts().create({ email: 'gone@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
      const membershipId = (await memberOf('gone@acme.test')).membershipId;
      expect(codeOf(await graphql(app, `mutation { deactivateUser(membershipId: ${q(membershipId)}) { status } }`, admin))).toBe('OK');
      const deactivated = await send('gone@acme.test');
      expect(codeOf(deactivated)).toBe('FORBIDDEN');
      expect(messageOf(deactivated)).toBe('gone@acme.test is deactivated in this organisation: reactivate them first, then send the reset.');

      await accounts().create({ email: 'plain@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
      const byViewer = await send('forgot@acme.test', await signIn('plain@acme.test'));
      expect(codeOf(byViewer)).toBe('FORBIDDEN');
      expect(byViewer.body.data ?? null).toBeNull();
    });
  });

  describe('an id that cannot be one', () => {
    it.each([
      ['changeRole', 'changeRole(membershipId: "nope", role: viewer) { role }', 'No member nope in this organisation.'],
      ['deactivateUser', 'deactivateUser(membershipId: "nope") { status }', 'No member nope in this organisation.'],
      ['reactivateUser', 'reactivateUser(membershipId: "nope") { status }', 'No member nope in this organisation.'],
      ['sendPasswordReset', 'sendPasswordReset(membershipId: "nope") { link }', 'No member nope in this organisation.'],
      ['grantViewerOrganisations', 'grantViewerOrganisations(membershipId: "nope", organisationIds: [2]) { status }', 'No member nope in this organisation.'],
      ['revokeInvitation', 'revokeInvitation(invitationId: "nope")', 'No pending invitation nope in this organisation.'],
    ])('%s answers NOT_FOUND, as for an unknown member or invitation', async (_name, mutation, message) => {
      const reply = await graphql(app, `mutation { ${mutation} }`, admin);
      expect(reply.body.errors).toEqual([expect.objectContaining({ message, extensions: { code: 'NOT_FOUND' } })]);
    });

    it('is not found, or not a cursor, for loads, saved views and runs too', async () => {
      expect(codeOf(await graphql(app, '{ load(id: "nope") { id } }', admin))).toBe('LOAD_NOT_FOUND');
      expect(codeOf(await graphql(app, 'mutation { deleteView(id: "nope") }', admin))).toBe('VIEW_NOT_FOUND');
      const forged = Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'nope'])).toString('base64url');
      const loads = await graphql(app, `{ loads(after: ${q(forged)}) { endCursor } }`, admin);
      expect(loads.body.errors).toEqual([expect.objectContaining({ message: '"after" is not a cursor from a previous page.', extensions: { code: 'BAD_USER_INPUT', argument: 'after' } })]);
      const runs = await graphql(app, `{ tenant(slug: "acme", runsAfter: ${q(forged)}) { runs { endCursor } } }`, await signIn('ops@kineo.test'));
      expect(codeOf(runs)).toBe('BAD_USER_INPUT');
    });
  });
});
