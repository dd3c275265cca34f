import { createPrismaClient, TenantLifecycleService, TenantService } from '@kineo/db';
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

  it('shows a bounded page of a long history, with totals, and pages through the rest', async () => {
    const prisma = createPrismaClient(stack.env.DATABASE_URL, { poolSize: 1 });
    try {
      const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' } });
      // A long history whose rows are large, as real loads and ops reads make them.
      const files = Array.from({ length: 40 }, (_, i) => ({ file: `file-${i}.csv`, sha256: 'f'.repeat(64), rowsRead: i, reasons: ['r'.repeat(200)] }));
      for (let i = 0; i < 30; i++) {
        await prisma.ingestionRun.create({ data: { tenantId: tenant.id, source: `load-${i}`, files, createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)) } });
      }
      await prisma.auditEvent.createMany({
        data: Array.from({ length: 60 }, (_, i) => ({
          actor: 'cli:test',
          action: `test.event.${i}`,
          tenantId: tenant.id,
          details: { sql: `select ${i} -- ${'x'.repeat(i === 59 ? 10_000 : 100)}` },
          createdAt: new Date(Date.UTC(2030, 0, 1, 0, i)),
        })),
      });
    } finally {
      await prisma.$disconnect();
    }

    const first = await runCli(['tenant', 'show', 'globex', '--json'], stack.env);
    expect(first.code).toBe(0);
    expect(first.stdout.length).toBeLessThan(32 * 1024);
    const page1 = JSON.parse(first.stdout);
    expect(page1.totals).toEqual({ ingestionRuns: 30, buildRuns: 0, auditEvents: 61 });
    expect(page1.ingestionRuns.map((r: { source: string }) => r.source)).toEqual(['load-29', 'load-28', 'load-27', 'load-26', 'load-25']);
    expect(page1.ingestionRuns[0].files).toBe(40);
    expect(page1.auditEvents).toHaveLength(20);
    expect(page1.auditEvents[0]).toMatchObject({ action: 'test.event.59', details: { truncated: true } });
    expect(page1.auditEvents[1]).toMatchObject({ action: 'test.event.58', details: { sql: expect.stringMatching(/^select 58 /) } });

    const page3 = JSON.parse((await runCli(['tenant', 'show', 'globex', '--json', '--runs', '2', '--audit', '25', '--page', '3'], stack.env)).stdout);
    expect(page3.ingestionRuns.map((r: { source: string }) => r.source)).toEqual(['load-25', 'load-24']);
    expect(page3.auditEvents.map((e: { action: string }) => e.action)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `test.event.${9 - i}`),
      'tenant.created',
    ]);

    const human = await runCli(['tenant', 'show', 'globex'], stack.env);
    expect(human.stdout).toContain('Recent loads (5 of 30; --runs N or --page 2 for more)');
    expect(human.stdout).toContain('Audit (20 of 61; --audit N or --page 2 for more)');

    const bad = await runCli(['tenant', 'show', 'globex', '--runs', '0'], stack.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('a whole number from 1 to 100');
  });

  it("shows the landing retention period, the setting's or the tenant's own, and changes it with an audit event", async () => {
    const show = async (env = stack.env) => JSON.parse((await runCli(['tenant', 'show', 'acme-health', '--json'], env)).stdout);
    expect((await show()).landingRetention).toEqual({ days: 7, source: 'setting' });
    expect((await show({ ...stack.env, LANDING_RETENTION_DAYS: '3' })).landingRetention).toEqual({ days: 3, source: 'setting' });

    const set = await runCli(['tenant', 'retention', 'acme-health', '30'], stack.env);
    expect(set.code).toBe(0);
    expect(set.stdout).toBe("Landing retention of acme-health: 30 days (the tenant's own).\n");
    expect((await show({ ...stack.env, LANDING_RETENTION_DAYS: '3' })).landingRetention).toEqual({ days: 30, source: 'tenant' });
    expect((await runCli(['tenant', 'show', 'acme-health'], stack.env)).stdout).toMatch(/landing retention\s+30 days \(the tenant's own\)/);
    const audit = (await show()).auditEvents.find((e: { action: string }) => e.action === 'tenant.landing_retention_changed');
    expect(audit.details).toEqual({ from: null, to: 30 });

    const bad = await runCli(['tenant', 'retention', 'acme-health', '0'], stack.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('a whole number of days from 1 to 3650, or "default"');
    expect((await runCli(['tenant', 'retention', 'acme-health', 'default', '--json'], stack.env)).stdout).toBe(
      JSON.stringify({ slug: 'acme-health', landingRetention: { days: 7, source: 'setting' } }, null, 2) + '\n',
    );
  });

  it('queues a rebuild after a build that started before the fiscal year was changed, says so, and answers the next request with it', async () => {
    const prisma = createPrismaClient(stack.env.DATABASE_URL, { poolSize: 1 });
    try {
      const tenant = await new TenantService(prisma).create({ slug: 'fy-follow', name: 'FY Follow', actor: 'test', fiscalYearStartMonth: 1 });
      await prisma.tenant.update({ where: { id: tenant.id }, data: { status: 'active' } });
      await prisma.ingestionRun.create({ data: { tenantId: tenant.id, status: 'succeeded', source: 'cli', requestedBy: 'test' } });
      // A build whose first stage fixed January, still running when March is saved.
      const running = await prisma.buildRun.create({ data: { tenantId: tenant.id, kind: 'rebuild', status: 'running', fiscalYearStartMonth: 1, asOf: new Date('2026-01-31T00:00:00Z') } });
      await prisma.tenant.update({ where: { id: tenant.id }, data: { fiscalYearStartMonth: 3 } });

      const asked = await runCli(['tenant', 'rebuild', 'fy-follow'], stack.env);
      expect(asked.stderr).toBe('');
      const follower = await prisma.buildRun.findFirstOrThrow({ where: { tenantId: tenant.id, followsBuildRunId: running.id } });
      expect(follower.status).toBe('queued');
      expect(asked.stdout).toBe(
        `A build of fy-follow that started with the fiscal year starting in January, before it was changed, is under way (run ${running.id}, running); ` +
          `rebuild ${follower.id} with the fiscal year starting in March (as of ${follower.asOf!.toISOString()}) is queued to run after it (queued at ${follower.createdAt.toISOString()}).\n`,
      );
      const again = await runCli(['tenant', 'rebuild', 'fy-follow'], stack.env);
      expect(again.stdout).toContain(`is queued to run after it (queued at ${follower.createdAt.toISOString()}); nothing more was queued.\n`);
      expect(await prisma.buildRun.count({ where: { tenantId: tenant.id, kind: 'rebuild' } })).toBe(2);
      const shown = await runCli(['tenant', 'show', 'fy-follow'], stack.env);
      expect(shown.stdout).toMatch(/FYSTART/);
      expect(shown.stdout).toMatch(new RegExp(`rebuild\\s+running\\s+.*January.*\n`));
    } finally {
      await prisma.$disconnect();
    }
  });

  it('shows the rebuild a tenant waits for because its published gold lacks columns this release reads: its state, attempts, the columns and the run', async () => {
    const prisma = createPrismaClient(stack.databaseUrl);
    const missing = ['fact_course_history.year_end_basis'];
    const text = async () => (await runCli(['tenant', 'show', 'acme-health'], stack.env)).stdout;
    try {
      expect(await text()).toMatch(/gold rebuild\s+- \(none waited for\)/);
      const tenant = await prisma.tenant.update({ where: { slug: 'acme-health' }, data: { dataVersion: 2 } });
      const run = await prisma.buildRun.create({ data: { tenantId: tenant.id, kind: 'rebuild', status: 'queued' } });
      await prisma.goldRebuild.create({ data: { tenantId: tenant.id, fromVersion: 2, releaseKey: 'abc123def456', missing, attempts: 1, buildRunId: run.id } });
      const json = JSON.parse((await runCli(['tenant', 'show', 'acme-health', '--json'], stack.env)).stdout).goldRebuild;
      expect(json).toMatchObject({ state: 'queued', fromVersion: 2, missing, attempts: 1, maxAttempts: 3, willRetry: true, buildRunId: run.id });
      expect(await text()).toMatch(new RegExp(`gold rebuild\\s+queued \\(attempt 1 of 3\\): version 2 lacks fact_course_history\\.year_end_basis; run ${run.id}\n`));

      await prisma.buildRun.update({ where: { id: run.id }, data: { status: 'failed', error: 'silver: Table with name users does not exist' } });
      await prisma.goldRebuild.update({ where: { tenantId: tenant.id }, data: { attempts: 3, gaveUpAt: new Date() } });
      expect(await text()).toContain(
        `failed after 3 of 3 attempts (the worker will not retry; run "kineo tenant rebuild acme-health"): version 2 lacks fact_course_history.year_end_basis; run ${run.id}: silver: Table with name users does not exist`,
      );
    } finally {
      await prisma.$disconnect();
    }
  });

  it("changes a tenant's fiscal-year start at once while nothing is published, and only with --yes once data is, after saying the history will be rebuilt", async () => {
    const prisma = createPrismaClient(stack.databaseUrl);
    const fiscal = (args: string[]) => runCli(['tenant', 'fiscal-start', 'wayne-corp', ...args], stack.env);
    const events = async (tenantId: string) =>
      (await prisma.auditEvent.findMany({ where: { tenantId, action: 'tenant.fiscal_year_start_changed' }, orderBy: { createdAt: 'asc' } })).map((e) => e.details);
    try {
      expect((await runCli(['tenant', 'create', 'wayne-corp', '--name', 'Wayne Corp'], stack.env)).code).toBe(0);
      const unpublished = await fiscal(['4']);
      expect(unpublished.stderr).toBe('');
      expect(unpublished.code).toBe(0);
      expect(unpublished.stdout).toBe('The fiscal year of wayne-corp starts in April (was January) from its next build.\nNothing is published yet, so no fiscal-year history is reset.\n');

      // What the worker's publish leaves in the metadata: the tenant's version moved to its first.
      const tenant = await prisma.tenant.update({ where: { slug: 'wayne-corp' }, data: { dataVersion: 1 } });
      const refused = await fiscal(['7']);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toBe(
        'kineo: Tenant "wayne-corp" has published data, and moving its fiscal-year start from April to July resets its fiscal-year history: ' +
          'the next build renumbers the fiscal years and rebuilds every closed year from completion dates (completions only, without completion or overdue rates), ' +
          'and follows the current year from that build on. The history recorded so far is archived, not deleted. Run it again with --yes to change it.\n',
      );
      expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).fiscalYearStartMonth).toBe(4);

      const same = await fiscal(['4']);
      expect(same.code).toBe(0);
      expect(same.stdout).toBe('The fiscal year of wayne-corp already starts in April; nothing changed.\n');

      const confirmed = await fiscal(['7', '--yes', '--json']);
      expect(confirmed.code).toBe(0);
      expect(JSON.parse(confirmed.stdout)).toEqual({ slug: 'wayne-corp', from: 4, fiscalYearStartMonth: 7, changed: true, historyReset: true });
      expect((await runCli(['tenant', 'show', 'wayne-corp'], stack.env)).stdout).toMatch(/fiscal year starts\s+July/);
      expect(await events(tenant.id)).toEqual([
        { from: 1, to: 4, historyResetConfirmed: false },
        { from: 4, to: 7, historyResetConfirmed: true },
      ]);

      const bad = await fiscal(['13']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('a month number from 1 to 12');

      await prisma.tenant.update({ where: { id: tenant.id }, data: { status: 'offboarded' } });
      const offboarded = await fiscal(['1', '--yes']);
      expect(offboarded.code).toBe(1);
      expect(offboarded.stderr).toBe('kineo: Tenant "wayne-corp" is offboarded; you cannot change its fiscal-year start.\n');
    } finally {
      await prisma.$disconnect();
    }
  });

  it('ends an offboarding it waits on as soon as ops resume the tenant: called off, nothing removed, exit 1', async () => {
    // No worker runs here, so the offboarding waits in the queue, as with busy workers.
    await runCli(['tenant', 'create', 'second-thoughts', '--name', 'Second Thoughts'], stack.env);
    const prisma = createPrismaClient(stack.databaseUrl);
    try {
      const tenant = await new TenantService(prisma).get('second-thoughts');
      await new TenantService(prisma).markActive(tenant.id, 'test');
      const waiting = runCli(['tenant', 'offboard', 'second-thoughts', '--confirm', 'second-thoughts'], stack.env);
      for (let i = 0; i < 200 && !(await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).offboardRequestedAt; i++) await new Promise((r) => setTimeout(r, 50));
      await new TenantLifecycleService(prisma).resume('second-thoughts', 'ops@test');
      const result = await waiting;
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        'kineo: Offboarding "second-thoughts" was called off: the tenant was resumed after the offboarding was asked for (it is active now). Nothing was removed; to offboard it after all, ask again (asking suspends it).\n',
      );
      expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).status).toBe('active');
    } finally {
      await prisma.$disconnect();
    }
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

  // Only the command asked for is loaded (src/main.ts): help and a mistyped command still see them all.
  it('lists every command in its help, and names the nearest to a mistyped one', async () => {
    const help = await runCli(['--help'], stack.env);
    expect(help.code).toBe(0);
    for (const name of ['stack', 'tenant', 'user', 'generate', 'ingest', 'sql', 'demo', 'backup', 'restore']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    }
    const typo = await runCli(['tenat', 'list'], stack.env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown command 'tenat'");
    expect(typo.stderr).toContain('(Did you mean tenant?)');
    const restore = await runCli(['restore', '--help'], stack.env);
    expect(restore.stdout).toContain('Usage: kineo restore [options] <folder>');
  });

  it('exits 2 with help on a usage error', async () => {
    const result = await runCli(['tenant', 'create', 'no-name'], stack.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--name <name>' not specified");
  });
});
