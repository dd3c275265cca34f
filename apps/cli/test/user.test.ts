import { AuthService } from '@kineo/auth';
import { createSecretStore, loadSettings } from '@kineo/config';
import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { runCli, runCliWithInput } from './run-cli';

const PASSWORD = 'a perfectly long passphrase';

describe('kineo user', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let auth: AuthService;

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 1 });
    auth = AuthService.create(prisma, createSecretStore(loadSettings(stack.env)));
    for (const [slug, name] of [['acme', 'Acme'], ['globex', 'Globex']]) {
      const created = await runCli(['tenant', 'create', slug!, '--name', name!], stack.env);
      expect(created.code).toBe(0);
    }
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await stack?.stop();
  });

  const list = async (...args: string[]) => {
    const result = await runCli(['user', 'list', ...args, '--json'], stack.env);
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as { email: string; platformRole: string; memberships: { tenant: string; role: string; lmsUserId: number | null }[] }[];
  };

  it('creates an org admin from a password on standard input, who can then sign in to their tenant', async () => {
    const result = await runCliWithInput(['user', 'create', 'Admin@Acme.test', '--password-stdin', '--tenant', 'acme', '--role', 'org_admin'], stack.env, `${PASSWORD}\n`);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Created user admin@acme.test (org_admin in acme).\n');
    const session = await auth.login('admin@acme.test', PASSWORD);
    expect(session).toMatchObject({ role: 'org_admin', tenant: { slug: 'acme' } });
  });

  it('creates a manager linked to their LMS user, and a Kineo ops user outside every tenant', async () => {
    const manager = await runCli(
      ['user', 'create', 'manager@acme.test', '--password', PASSWORD, '--tenant', 'acme', '--role', 'manager', '--lms-user-id', '1042', '--json'],
      stack.env,
    );
    const ops = await runCli(['user', 'create', 'ops@kineo.test', '--password', PASSWORD, '--ops', '--json'], stack.env);

    expect(manager.code).toBe(0);
    expect(JSON.parse(manager.stdout)).toMatchObject({
      email: 'manager@acme.test',
      status: 'active',
      created: true,
      memberships: [{ tenant: 'acme', role: 'manager', lmsUserId: 1042 }],
    });
    expect(ops.code).toBe(0);
    expect(JSON.parse(ops.stdout)).toMatchObject({ email: 'ops@kineo.test', platformRole: 'kineo_ops', memberships: [] });
    expect(await auth.login('ops@kineo.test', PASSWORD)).toMatchObject({ role: 'kineo_ops', tenant: null });
    expect(JSON.stringify(await prisma.auditEvent.findMany({ where: { action: 'user.created' } }), (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))).not.toContain(PASSWORD);
  });

  it('gives an existing user a second tenant without changing their password', async () => {
    const result = await runCli(['user', 'create', 'admin@acme.test', '--password', 'some other password', '--tenant', 'globex', '--role', 'viewer'], stack.env);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('User admin@acme.test already existed: added viewer in globex; their password is unchanged.\n');
    expect(await auth.login('admin@acme.test', PASSWORD, 'globex')).toMatchObject({ role: 'viewer' });
  });

  it('lists every user with their access, or only the members of one tenant', async () => {
    expect((await list()).map((u) => u.email)).toEqual(['admin@acme.test', 'manager@acme.test', 'ops@kineo.test']);
    const globex = await list('--tenant', 'globex');
    expect(globex).toEqual([expect.objectContaining({ email: 'admin@acme.test', memberships: [{ tenant: 'globex', role: 'viewer', lmsUserId: null }] })]);

    const table = await runCli(['user', 'list'], stack.env);
    expect(table.stdout).toMatch(/^EMAIL\s+DISPLAYNAME\s+STATUS\s+ACCESS/);
    expect(table.stdout).toMatch(/admin@acme\.test\s+active\s+acme:org_admin, globex:viewer/);
    expect(table.stdout).toMatch(/ops@kineo\.test\s+active\s+kineo_ops/);
  });

  it.each([
    [
      'an email already in that tenant',
      ['admin@acme.test', '--password', PASSWORD, '--tenant', 'acme', '--role', 'viewer'],
      'kineo: A user with email admin@acme.test already exists in "acme" (as org_admin).\n',
    ],
    ['an unknown tenant', ['new@x.test', '--password', PASSWORD, '--tenant', 'nope', '--role', 'viewer'], 'kineo: No tenant with slug "nope".\n'],
    [
      'a weak password',
      ['new@x.test', '--password', 'hunter2', '--tenant', 'acme', '--role', 'viewer'],
      'kineo: The password is too weak: it is 7 characters long; use at least 12 (a few unrelated words make a good one).\n',
    ],
    ['an email that is not one', ['not-an-email', '--password', PASSWORD, '--tenant', 'acme', '--role', 'viewer'], 'kineo: "not-an-email" is not an email address.\n'],
    [
      'a manager without an LMS user',
      ['new@x.test', '--password', PASSWORD, '--tenant', 'acme', '--role', 'manager'],
      "kineo: A manager needs the LMS user id their reports hang under (the LMS's user id).\n",
    ],
  ])('refuses %s, says why, exits 1 and changes nothing', async (_case, args, message) => {
    const before = await list();
    const result = await runCli(['user', 'create', ...args], stack.env);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(message);
    expect(result.stdout).toBe('');
    expect(await list()).toEqual(before);
  });

  it.each([
    ['no password', ['new@x.test', '--tenant', 'acme', '--role', 'viewer'], /A password is needed: --password-stdin/],
    ['both a tenant and --ops', ['new@x.test', '--password', PASSWORD, '--tenant', 'acme', '--role', 'viewer', '--ops'], /do not combine it with --tenant/],
    ['a tenant without a role', ['new@x.test', '--password', PASSWORD, '--tenant', 'acme'], /--tenant <slug> --role <org_admin\|manager\|viewer>, or --ops/],
    ['an unknown role', ['new@x.test', '--password', PASSWORD, '--tenant', 'acme', '--role', 'owner'], /Allowed choices are org_admin, manager, viewer/],
  ])('treats %s as a usage error (exit 2)', async (_case, args, message) => {
    const result = await runCli(['user', 'create', ...args], stack.env);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(await prisma.user.findUnique({ where: { email: 'new@x.test' } })).toBeNull();
  });
});
