import { loadJwtSecret, UserService } from '@kineo/auth';
import { createSecretStore, loadSettings } from '@kineo/config';
import { createPrismaClient, TenantService, type PrismaClient, type Tenant } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { graphql, LogCapture, startGateway, type GraphqlReply } from '../support/gateway';
import { multipart } from '../support/multipart';

export const PASSWORD = 'correct horse battery staple';
/** The portal's server, the one peer whose X-Forwarded-For the suite's gateway believes. */
export const PORTAL_ADDRESS = '10.9.9.9';
export const PORTAL_ORIGIN = 'https://portal.kineo.example';
export const GRAPHQL_BODY_LIMIT = 64 * 1024;

export const ACCOUNTS = {
  acmeAdmin: ['admin@acme.test', { tenantSlug: 'acme', role: 'org_admin' as const }],
  acmeViewer: ['viewer@acme.test', { tenantSlug: 'acme', role: 'viewer' as const }],
  acmeManager: ['manager@acme.test', { tenantSlug: 'acme', role: 'manager' as const, lmsUserId: 7 }],
  globexAdmin: ['admin@globex.test', { tenantSlug: 'globex', role: 'org_admin' as const }],
  ops: ['ops@kineo.test', { ops: true as const }],
} as const;
export type Account = keyof typeof ACCOUNTS;

/**
 * One stack and one gateway for every file of the security suite: two tenants, each role, and
 * things of acme's (a load, a member, an invitation, a resumable upload) for globex to go after.
 */
export interface World {
  stack: TestStack;
  prisma: PrismaClient;
  app: NestFastifyApplication;
  log: LogCapture;
  acme: Tenant;
  globex: Tenant;
  tokens: Record<Account, string>;
  refreshTokens: Record<Account, string>;
  acmeLoadId: string;
  acmeViewerMembershipId: string;
  acmeInvitationId: string;
  acmeTusUploadId: string;
  /** A view acme's admin shared with acme (written directly: saving one through the API needs published data). */
  acmeSavedViewId: string;
  /** Every credential the suite has used, for the log search at the end. */
  secrets: Set<string>;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const codeOf = (reply: GraphqlReply): string => (reply.body.errors?.[0]?.extensions?.code as string | undefined) ?? 'OK';

export async function startWorld(): Promise<World> {
  const stack = await startTestStack();
  const prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
  const tenants = new TenantService(prisma);
  for (const [slug, name] of [['acme', 'Acme Health'], ['globex', 'Globex']] as const) {
    const tenant = await tenants.create({ slug, name, actor: 'test' });
    await tenants.markActive(tenant.id, 'test');
  }
  const users = new UserService(prisma);
  for (const [email, grant] of Object.values(ACCOUNTS)) await users.create({ email, password: PASSWORD, grant, actor: 'test' });

  // Provisioned as a deployment must (the suite's gateway runs with AUTH_REQUIRE_SECRETS, as in production).
  await loadJwtSecret(createSecretStore(loadSettings(stack.env)));
  const log = new LogCapture();
  const app = await startGateway(
    stack,
    { LOG_LEVEL: 'info', AUTH_REQUIRE_SECRETS: 'true', TRUSTED_PROXIES: PORTAL_ADDRESS, CORS_ORIGINS: PORTAL_ORIGIN, GRAPHQL_MAX_BODY_BYTES: String(GRAPHQL_BODY_LIMIT) },
    { logDestination: log },
  );
  const secrets = new Set<string>([PASSWORD, new URL(stack.databaseUrl).password].filter((s) => s.length >= 6));
  const tokens = {} as Record<Account, string>;
  const refreshTokens = {} as Record<Account, string>;
  for (const [account, [email]] of Object.entries(ACCOUNTS) as [Account, (typeof ACCOUNTS)[Account]][]) {
    const reply = await graphql<{ login: { token: string; refreshToken: string } }>(
      app,
      'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { token refreshToken } }',
      {},
      { email, password: PASSWORD },
    );
    if (!reply.body.data) throw new Error(`sign-in of ${email} failed: ${JSON.stringify(reply.body.errors)}`);
    tokens[account] = reply.body.data.login.token;
    refreshTokens[account] = reply.body.data.login.refreshToken;
    secrets.add(tokens[account]).add(refreshTokens[account]);
  }

  const acme = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
  const globex = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' } });

  const { payload, headers } = multipart([{ field: 'files', filename: 'users.csv', content: 'id,username,firstname,lastname\n1,boss,Bo,Ss\n' }]);
  const load = await app.inject({ method: 'POST', url: '/uploads', payload, headers: { ...headers, ...bearer(tokens.acmeAdmin) } });
  if (load.statusCode !== 202) throw new Error(`acme's upload failed: ${load.body}`);
  const acmeLoadId = (load.json() as { ingestionRunId: string }).ingestionRunId;

  const tus = await app.inject({
    method: 'POST',
    url: '/uploads/resumable',
    headers: { 'tus-resumable': '1.0.0', ...bearer(tokens.acmeAdmin), 'upload-length': '100', 'upload-metadata': `filename ${Buffer.from('users.csv').toString('base64')}` },
  });
  if (tus.statusCode !== 201) throw new Error(`acme's resumable upload failed: ${tus.body}`);
  const acmeTusUploadId = String(tus.headers.location).split('/').pop()!;

  const invite = await graphql<{ inviteUser: { id: string; link: string } }>(
    app,
    'mutation { inviteUser(email: "new@acme.test", role: viewer) { id link } }',
    bearer(tokens.acmeAdmin),
  );
  if (!invite.body.data) throw new Error(`acme's invitation failed: ${JSON.stringify(invite.body.errors)}`);
  // The link's token is its longest run of URL-safe characters, wherever the portal puts it.
  secrets.add(invite.body.data.inviteUser.link.match(/[A-Za-z0-9_-]{32,}/g)?.pop() ?? invite.body.data.inviteUser.link);

  const viewer = await prisma.membership.findFirstOrThrow({ where: { tenantId: acme.id, user: { email: ACCOUNTS.acmeViewer[0] } } });
  const acmeAdmin = await prisma.user.findUniqueOrThrow({ where: { email: ACCOUNTS.acmeAdmin[0] } });
  const view = await prisma.savedView.create({
    data: { tenantId: acme.id, ownerId: acmeAdmin.id, name: 'Acme completions', query: { measures: ['CourseProgress.count'] }, chart: 'bar', shared: true },
  });
  return {
    stack,
    prisma,
    app,
    log,
    acme,
    globex,
    tokens,
    refreshTokens,
    acmeLoadId,
    acmeViewerMembershipId: viewer.id,
    acmeInvitationId: invite.body.data.inviteUser.id,
    acmeTusUploadId,
    acmeSavedViewId: view.id,
    secrets,
  };
}

export async function stopWorld(world: World | undefined): Promise<void> {
  await world?.app.close();
  await world?.prisma.$disconnect();
  await world?.stack.stop();
}
