import { startTestStack, type TestStack } from '@kineo/testkit';
import { runCli } from './run-cli';

describe('kineo tenant', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const list = async () => JSON.parse((await runCli(['tenant', 'list', '--json'], stack.env)).stdout) as { slug: string }[];

  it('creates a tenant with a namespace and a plan, then lists and shows it', async () => {
    const created = await runCli(
      ['tenant', 'create', 'acme-health', '--name', 'Acme Health Trust', '--plan', 'professional', '--fiscal-start', '4', '--json'],
      stack.env,
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const tenant = JSON.parse(created.stdout);
    expect(tenant).toMatchObject({
      slug: 'acme-health',
      name: 'Acme Health Trust',
      plan: 'professional',
      status: 'provisioning',
      fiscalYearStartMonth: 4,
      dataVersion: 0,
    });
    expect(tenant.namespace).toMatch(/^t_[0-9a-z]{6}$/);
    expect(tenant.provisioningJobId).toBeTruthy();

    expect((await list()).map((t) => t.slug)).toContain('acme-health');

    const shown = await runCli(['tenant', 'show', 'acme-health', '--json'], stack.env);
    expect(shown.code).toBe(0);
    const detail = JSON.parse(shown.stdout);
    expect(detail.subscription).toMatchObject({ plan: 'professional', status: 'active', seatLimit: 500 });
    expect(detail.auditEvents.map((e: { action: string }) => e.action)).toContain('tenant.created');

    const human = await runCli(['tenant', 'show', 'acme-health'], stack.env);
    expect(human.stdout).toMatch(/fiscal year starts\s+April/);
    expect(human.stdout).toContain(tenant.namespace);
  });

  it('gives each tenant its own namespace', async () => {
    await runCli(['tenant', 'create', 'globex', '--name', 'Globex'], stack.env);
    const tenants = JSON.parse((await runCli(['tenant', 'list', '--json'], stack.env)).stdout) as { namespace: string }[];
    expect(new Set(tenants.map((t) => t.namespace)).size).toBe(tenants.length);
  });

  it.each([
    ['upper-case letters', 'AcmeHealth', /upper-case letters; use "acmehealth"/],
    ['spaces', 'acme health', /contains spaces/],
    ['100 characters', 'a'.repeat(100), /is 100 characters long; a slug has 3 to 40/],
    ['a trailing hyphen', 'acme-', /must not end with a hyphen/],
    ['an existing slug', 'acme-health', /A tenant with slug "acme-health" already exists/],
  ])('refuses a slug with %s, says why, and changes nothing', async (_case, slug, message) => {
    const before = await list();
    const result = await runCli(['tenant', 'create', slug, '--name', 'Someone'], stack.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
    expect(await list()).toEqual(before);
  });

  it('refuses an unknown plan, listing the plans there are', async () => {
    const result = await runCli(['tenant', 'create', 'initech', '--name', 'Initech', '--plan', 'gold'], stack.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Unknown plan "gold". Plans: enterprise, professional, starter.');
    expect((await list()).map((t) => t.slug)).not.toContain('initech');
  });

  it('says the tenant does not exist', async () => {
    const result = await runCli(['tenant', 'show', 'nobody'], stack.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('kineo: No tenant with slug "nobody".\n');
  });

  it('gives a clear message, not a stack trace, when the database is down', async () => {
    const env = { ...stack.env, DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:1/kineo' };
    for (const args of [['tenant', 'list'], ['tenant', 'create', 'umbrella', '--name', 'Umbrella']]) {
      const result = await runCli(args, env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^kineo: Cannot reach the metadata database at 127\.0\.0\.1:1\/kineo .*kineo stack up/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('refuses to create a tenant when the job queue is down, so none is left unprovisioned', async () => {
    const result = await runCli(['tenant', 'create', 'hooli', '--name', 'Hooli'], { ...stack.env, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Cannot reach Redis at 127\.0\.0\.1:1/);
    expect((await list()).map((t) => t.slug)).not.toContain('hooli');
  });

  it('names the bad setting when the configuration is invalid', async () => {
    const result = await runCli(['tenant', 'list'], { ...stack.env, DATABASE_URL: 'mysql://x' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL');
  });

  it('exits 2 with help on a usage error', async () => {
    const result = await runCli(['tenant', 'create', 'no-name'], stack.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--name <name>' not specified");
  });
});
