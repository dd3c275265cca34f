import { graphql } from '../support/gateway';
import { multipart } from '../support/multipart';
import { bearer, codeOf, type World } from './world';

/**
 * Every root field of the schema, sorted by how a caller could reach another tenant through it.
 * A field added to the API without a line here fails the first test, so nobody forgets to decide.
 */
const PUBLIC = ['login', 'refreshSession', 'acceptInvitation', 'requestPasswordReset', 'resetPassword', 'tenantSignInOptions', 'platform'];
/** Name a tenant by slug: Kineo ops only. */
const OPS_ONLY: Record<string, string> = {
  fleet: '{ fleet { items { slug } } }',
  tenant: '{ tenant(slug: "acme") { slug namespace } }',
  provisionTenant: 'mutation { provisionTenant(input: { slug: "acme-two", name: "Acme 2" }) { jobId } }',
  offboardTenant: 'mutation { offboardTenant(slug: "acme", confirm: "acme") { jobId } }',
  suspendTenant: 'mutation { suspendTenant(slug: "acme") { slug } }',
  resumeTenant: 'mutation { resumeTenant(slug: "acme") { slug } }',
  changePlan: 'mutation { changePlan(slug: "acme", plan: "enterprise") { slug } }',
  setTenantLocale: 'mutation { setTenantLocale(slug: "acme", locale: "en-US") { slug } }',
  refreshRollups: 'mutation { refreshRollups(slug: "acme") { jobId } }',
  inviteTenantAdmin: 'mutation { inviteTenantAdmin(slug: "acme", email: "someone@evil.test") { link } }',
};
/** Take the id of something that belongs to a tenant: another tenant's id must find nothing. */
const BY_ID: Record<string, (w: World) => string> = {
  load: (w) => `{ load(id: "${w.acmeLoadId}") { id } }`,
  quarantine: (w) => `{ quarantine(loadId: "${w.acmeLoadId}") { items { raw } } }`,
  changeRole: (w) => `mutation { changeRole(membershipId: "${w.acmeViewerMembershipId}", role: org_admin) { email } }`,
  deactivateUser: (w) => `mutation { deactivateUser(membershipId: "${w.acmeViewerMembershipId}") { email } }`,
  sendPasswordReset: (w) => `mutation { sendPasswordReset(membershipId: "${w.acmeViewerMembershipId}") { link } }`,
  reactivateUser: (w) => `mutation { reactivateUser(membershipId: "${w.acmeViewerMembershipId}") { email } }`,
  grantViewerOrganisations: (w) => `mutation { grantViewerOrganisations(membershipId: "${w.acmeViewerMembershipId}", organisationIds: [1]) { email } }`,
  revokeInvitation: (w) => `mutation { revokeInvitation(invitationId: "${w.acmeInvitationId}") }`,
  deleteView: (w) => `mutation { deleteView(id: "${w.acmeSavedViewId}") }`,
};
/**
 * Take no tenant at all: the session's tenant is the only one they act on. The executed ones are
 * asked with forged tenant headers; the analytics ones need published data and are proved in
 * analytics-access.test.ts (a manager, a viewer and another tenant against one published tenant).
 */
const FROM_SESSION: Record<string, string | null> = {
  me: '{ me { tenant { slug } } }',
  users: '{ users { email } }',
  pendingInvitations: '{ pendingInvitations { email } }',
  seats: '{ seats { limit used members invitations free } }',
  loads: '{ loads { items { id } } }',
  tenantSettings: '{ tenantSettings { fiscalYearStartMonth } }',
  savedViews: '{ savedViews { name ownerName } }',
  saveView: null,
  meta: null,
  analytics: null,
  dashboard: null,
  drill: null,
  organisations: null,
  inviteUser: null,
  inviteAllManagers: null,
  updateFiscalYearStart: null,
  rebuild: null,
  configureMicrosoftSignIn: null,
  disableMicrosoftSignIn: null,
  logout: null,
  // The caller's own account: the session's user, whatever tenant a header names.
  account: '{ account { hasPassword otherSessions } }',
  changePassword: null,
  signOutOtherSessions: null,
};

/** Headers a client might hope the gateway takes a tenant from. */
const FORGED_HEADERS = (w: World) => ({
  'x-tenant-id': w.acme.id,
  'x-kineo-tenant': 'acme',
  'x-tenant': 'acme',
  'x-forwarded-host': 'acme.kineo.example',
});

export function tenantIsolationCases(world: () => World): void {
  describe('tenant isolation through every GraphQL field', () => {
    it('has every root field of the schema sorted into a class above', async () => {
      const reply = await graphql<{ __schema: { queryType: { fields: { name: string }[] }; mutationType: { fields: { name: string }[] } } }>(
        world().app,
        '{ __schema { queryType { fields { name } } mutationType { fields { name } } } }',
      );
      const fields = [...reply.body.data!.__schema.queryType.fields, ...reply.body.data!.__schema.mutationType.fields].map((f) => f.name).sort();
      const classified = [...PUBLIC, ...Object.keys(OPS_ONLY), ...Object.keys(BY_ID), ...Object.keys(FROM_SESSION)].sort();
      expect(fields).toEqual(classified);
    });

    it.each(Object.entries(OPS_ONLY))('%s, naming acme, is FORBIDDEN to a tenant admin of either tenant', async (_field, document) => {
      const w = world();
      for (const token of [w.tokens.globexAdmin, w.tokens.acmeAdmin]) {
        const reply = await graphql(w.app, document, { ...bearer(token), ...FORGED_HEADERS(w) });
        expect(reply.body.data ?? null).toBeNull();
        expect(codeOf(reply)).toBe('FORBIDDEN');
      }
      expect(await w.prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } })).toMatchObject({ status: 'active' });
      expect(await w.prisma.tenant.findUnique({ where: { slug: 'acme-two' } })).toBeNull();
    });

    it.each(Object.keys(BY_ID))("%s with acme's id, asked by globex's admin, finds nothing (NOT_FOUND) and changes nothing", async (field) => {
      const w = world();
      const before = await acmeState(w);
      const reply = await graphql(w.app, BY_ID[field]!(w), { ...bearer(w.tokens.globexAdmin), ...FORGED_HEADERS(w) });
      expect(reply.body.data ?? null).toBeNull();
      // NOT_FOUND, or the domain's own kind of it (LOAD_NOT_FOUND): exactly what a missing id gets.
      expect(codeOf(reply)).toMatch(/NOT_FOUND$/);
      // The refusal must not echo anything of acme's back (its e-mails, namespace, file names).
      expect(JSON.stringify(reply.body)).not.toMatch(/acme\.test|users\.csv|new@acme/);
      expect(await acmeState(w)).toEqual(before);
    });

    it.each(Object.entries(FROM_SESSION).filter(([, d]) => d !== null))(
      "%s as globex's admin with forged tenant headers answers about globex only",
      async (_field, document) => {
        const w = world();
        const reply = await graphql(w.app, document!, { ...bearer(w.tokens.globexAdmin), ...FORGED_HEADERS(w) });
        expect(reply.body.errors).toBeUndefined();
        expect(JSON.stringify(reply.body.data)).not.toMatch(/acme|Acme/);
        expect(JSON.stringify(reply.body.data)).not.toContain(w.acmeLoadId);
      },
    );

    it("seats, asked by globex's admin with forged tenant headers, counts globex's people only", async () => {
      const w = world();
      const globex = await w.prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' } });
      const reply = await graphql<{ seats: { members: number } }>(w.app, '{ seats { members } }', { ...bearer(w.tokens.globexAdmin), ...FORGED_HEADERS(w) });
      expect(reply.body.data!.seats.members).toBe(await w.prisma.membership.count({ where: { tenantId: globex.id, deactivatedAt: null } }));
    });

    it('a forged or unknown id in any id argument is NOT_FOUND, not an internal error', async () => {
      const w = world();
      for (const id of ['00000000-0000-0000-0000-000000000000', "x' OR '1'='1", '../../acme']) {
        const reply = await graphql(w.app, 'query ($id: String!) { load(id: $id) { id } }', bearer(w.tokens.globexAdmin), { id });
        expect(codeOf(reply)).toMatch(/NOT_FOUND$|^BAD_USER_INPUT$/);
      }
    });
  });

  describe("tenant isolation through the upload paths: globex's admin and acme's", () => {
    it("GET /uploads/<acme's load> is 404", async () => {
      const w = world();
      const response = await w.app.inject({ method: 'GET', url: `/uploads/${w.acmeLoadId}`, headers: { ...bearer(w.tokens.globexAdmin), ...FORGED_HEADERS(w) } });
      expect(response.statusCode).toBe(404);
      expect(response.body).not.toContain('users.csv');
    });

    it("GET /loads/<acme's load>/quarantine.csv is 404", async () => {
      const w = world();
      const response = await w.app.inject({ method: 'GET', url: `/loads/${w.acmeLoadId}/quarantine.csv`, headers: bearer(w.tokens.globexAdmin) });
      expect(response.statusCode).toBe(404);
    });

    it("HEAD, PATCH and DELETE of acme's resumable upload are 404, and it is untouched", async () => {
      const w = world();
      const url = `/uploads/resumable/${w.acmeTusUploadId}`;
      const tus = { 'tus-resumable': '1.0.0', ...bearer(w.tokens.globexAdmin) };
      expect((await w.app.inject({ method: 'HEAD', url, headers: tus })).statusCode).toBe(404);
      const patch = await w.app.inject({
        method: 'PATCH',
        url,
        headers: { ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        payload: Buffer.from('id,username\n'),
      });
      expect(patch.statusCode).toBe(404);
      expect((await w.app.inject({ method: 'DELETE', url, headers: tus })).statusCode).toBe(404);
      const own = await w.app.inject({ method: 'HEAD', url, headers: { 'tus-resumable': '1.0.0', ...bearer(w.tokens.acmeAdmin) } });
      expect(own.statusCode).toBe(200);
      expect(own.headers['upload-offset']).toBe('0');
    });

    it("POST /uploads/complete with acme's upload id is 404 and starts no load", async () => {
      const w = world();
      const runs = await w.prisma.ingestionRun.count();
      const response = await w.app.inject({
        method: 'POST',
        url: '/uploads/complete',
        headers: { ...bearer(w.tokens.globexAdmin), 'content-type': 'application/json' },
        payload: JSON.stringify({ uploadIds: [w.acmeTusUploadId] }),
      });
      expect(response.statusCode).toBe(404);
      expect(await w.prisma.ingestionRun.count()).toBe(runs);
    });

    it('an upload named with a path lands under its base name in the caller\'s own folder; a viewer may not upload', async () => {
      const w = world();
      const hostile = multipart([{ field: 'files', filename: '../../acme/users.csv', content: 'id,username,firstname,lastname\n1,a,b,c\n' }]);
      const landed = await w.app.inject({ method: 'POST', url: '/uploads', payload: hostile.payload, headers: { ...hostile.headers, ...bearer(w.tokens.globexAdmin) } });
      expect(landed.statusCode).toBe(202);
      expect(landed.json()).toMatchObject({ files: [{ name: 'users.csv' }] });
      const run = await w.prisma.ingestionRun.findUniqueOrThrow({ where: { id: (landed.json() as { ingestionRunId: string }).ingestionRunId } });
      expect(run.tenantId).toBe(w.globex.id);

      const byViewer = await w.app.inject({ method: 'POST', url: '/uploads', payload: hostile.payload, headers: { ...hostile.headers, ...bearer(w.tokens.acmeViewer) } });
      expect(byViewer.statusCode).toBe(403);
    });
  });
}

async function acmeState(w: World) {
  const [memberships, invitations, runs, tenant, savedViews, passwordResets] = await Promise.all([
    w.prisma.membership.findMany({ where: { tenantId: w.acme.id }, include: { viewerGrants: true }, orderBy: { id: 'asc' } }),
    w.prisma.invitation.findMany({ where: { tenantId: w.acme.id }, orderBy: { id: 'asc' } }),
    w.prisma.ingestionRun.findMany({ where: { tenantId: w.acme.id }, orderBy: { id: 'asc' } }),
    w.prisma.tenant.findUniqueOrThrow({ where: { id: w.acme.id } }),
    w.prisma.savedView.findMany({ where: { tenantId: w.acme.id }, orderBy: { id: 'asc' } }),
    // Reset links of acme's people (sendPasswordReset must make none for another tenant's admin).
    w.prisma.passwordReset.findMany({ where: { user: { memberships: { some: { tenantId: w.acme.id } } } }, orderBy: { id: 'asc' } }),
  ]);
  return { memberships, invitations, runs, tenant, savedViews, passwordResets };
}
