import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { TenantService } from '@kineo/db';
import { UserService } from '@kineo/auth';
import { generateExport } from '@kineo/generator';
import { provisionTenantJob } from '@kineo/jobs';
import type { CliContext } from '../context';
import { CliError, printTable } from '../output';
import { collectFiles, followLoad, printReport, startLoad } from './ingest';
import { printStackStatus, stackUp } from './stack';
import { waitForTenantJob } from './tenant';

export const DEMO_TENANTS = [
  { slug: 'acme-health', name: 'Acme Health Trust', planCode: 'professional', fiscalYearStartMonth: 4, users: 3000, seed: 101 },
  { slug: 'globex-retail', name: 'Globex Retail', planCode: 'starter', fiscalYearStartMonth: 7, users: 800, seed: 202 },
];

/** Demo passwords: printed by the demo, for a local stack only. */
const DEMO_PASSWORD = 'kineo-demo-password';

interface DemoLogin {
  email: string;
  role: string;
  tenant: string;
  sees: string;
  /** A GraphQL query that shows this login's numbers. */
  query?: string;
}

/** What each role's ready-to-paste request asks for. */
const DEMO_QUERIES = {
  org_admin: '{ dashboard(id: "course-completion") { title dataVersion asOf tiles { title result { columns { key title } rows cached } error { code message } } } }',
  manager: '{ dashboard(id: "my-team") { title dataVersion asOf tiles { title pageSize result { rows hasMore total } error { code message } } } }',
  viewer: '{ dashboard(id: "certification-compliance") { title dataVersion asOf tiles { title result { rows } error { code message } } } }',
} as const;

/** An ops login, and per demo tenant an org admin and the manager with the most reports. */
async function ensureDemoLogins(ctx: CliContext): Promise<DemoLogin[]> {
  const users = new UserService(ctx.prisma);
  const existing = new Map((await users.list()).map((u) => [u.email, u]));
  const logins: DemoLogin[] = [];
  const ensure = async (email: string, grant: Parameters<UserService['create']>[0]['grant'], login: Omit<DemoLogin, 'email'>) => {
    const has = existing.get(email);
    const granted = has && ('ops' in grant ? has.platformRole === 'kineo_ops' : has.memberships.some((m) => m.tenant === grant.tenantSlug));
    if (!granted) await users.create({ email, password: DEMO_PASSWORD, grant, actor: 'demo' });
    logins.push({ email, ...login });
  };
  await ensure('ops@kineo.example', { ops: true }, { role: 'kineo_ops', tenant: '(all, metadata only)', sees: 'every tenant, no learner rows' });
  const warehouse = await ctx.warehouse();
  for (const demo of DEMO_TENANTS) {
    const tenant = await new TenantService(ctx.prisma).get(demo.slug);
    await ensure(
      `admin@${demo.slug}.example`,
      { tenantSlug: demo.slug, role: 'org_admin' },
      { role: 'org_admin', tenant: demo.slug, sees: 'the whole tenant', query: DEMO_QUERIES.org_admin },
    );
    const top = await warehouse.queryPublished<{ manager_user_key: number; reports: number }>(
      { tenantId: tenant.id, namespace: tenant.namespace },
      `select manager_user_key, count(*) as reports from gold.dim_manager_relationship
       where relationship = 'direct' and manager_user_key > 0 group by 1 order by 2 desc, 1 limit 1`,
    );
    const manager = top.rows[0];
    if (manager) {
      await ensure(
        `manager@${demo.slug}.example`,
        { tenantSlug: demo.slug, role: 'manager', lmsUserId: Number(manager.manager_user_key) },
        {
          role: 'manager',
          tenant: demo.slug,
          sees: `LMS user ${manager.manager_user_key}'s ${manager.reports} direct reports and everyone below them`,
          query: DEMO_QUERIES.manager,
        },
      );
    }
    // A viewer granted the largest top-level organisation (and everything below it).
    const organisations = await warehouse.queryPublished<{ organisation_id: number; name: string }>(
      { tenantId: tenant.id, namespace: tenant.namespace },
      `select g.organisation_id, g.name from gold.dim_organisation g
       join gold.dim_organisation o on o.path = g.path or o.path like g.path || '/%'
       join gold.dim_user u on u.organisation_key = o.organisation_key
       where g.organisation_key <> -1 and g.depth = (select min(depth) from gold.dim_organisation where organisation_key <> -1) + 1
       group by 1, 2 order by count(*) desc, 1 limit 1`,
    );
    const organisation = organisations.rows[0];
    if (organisation) {
      const email = `viewer@${demo.slug}.example`;
      await ensure(email, { tenantSlug: demo.slug, role: 'viewer' }, {
        role: 'viewer',
        tenant: demo.slug,
        sees: `organisation "${organisation.name}" and everything below it`,
        query: DEMO_QUERIES.viewer,
      });
      const membership = await ctx.prisma.membership.findFirstOrThrow({ where: { tenantId: tenant.id, user: { email } } });
      const organisationId = BigInt(organisation.organisation_id);
      await ctx.prisma.viewerGrant.upsert({
        where: { membershipId_organisationId: { membershipId: membership.id, organisationId } },
        create: { membershipId: membership.id, organisationId },
        update: {},
      });
    }
  }
  return logins;
}

/** The tenant once active: provisioning is followed by its runs in Postgres, as `tenant create --wait` does. */
async function waitUntilActive(ctx: CliContext, slug: string) {
  const tenants = new TenantService(ctx.prisma);
  const tenant = await tenants.get(slug);
  if (tenant.status === 'active') return tenant;
  await waitForTenantJob(ctx, { tenantId: tenant.id, kind: 'provision', attempts: provisionTenantJob.attempts }, {
    failed: (reason) => `Provisioning the demo tenant "${slug}" failed: ${reason}; see .data/logs/worker.log.`,
    notStarted: `Tenant "${slug}" was not provisioned: the worker has not started on it; see "kineo stack status" and .data/logs/worker.log.`,
  });
  return tenants.get(slug);
}

export function demoCommand(context: () => CliContext): Command {
  return new Command('demo')
    .description('start everything, create the demo tenants with generated LMS data, and print where to go')
    .option('--no-portal', 'do not serve the portal')
    .action(async (options: { portal: boolean }) => {
      process.stdout.write('Starting the local stack (the first start initialises Postgres; it takes a little while)...\n');
      const ctx = context();
      const status = await stackUp(ctx.settings, { portal: options.portal });
      printStackStatus(status);
      const tenants = new TenantService(ctx.prisma);
      const queues = await ctx.queues();
      const existing = new Set((await tenants.list()).map((t) => t.slug));
      for (const demo of DEMO_TENANTS) {
        if (!existing.has(demo.slug)) {
          const created = await tenants.create({ ...demo, actor: 'demo' });
          await queues.enqueue(provisionTenantJob, { tenantId: created.id, requestedBy: 'demo' });
          process.stdout.write(`\nCreated tenant ${demo.slug}.\n`);
        }
        const tenant = await waitUntilActive(ctx, demo.slug);
        if (tenant.dataVersion > 0) continue;
        const dir = path.join(ctx.settings.KINEO_DATA_DIR, 'demo', demo.slug);
        fs.rmSync(dir, { recursive: true, force: true });
        process.stdout.write(`Generating an LMS export of ${demo.users} users for ${demo.slug}...\n`);
        await generateExport({ dir, users: demo.users, seed: demo.seed, years: 4, fiscalCalendar: false });
        const ticket = await startLoad(ctx, tenant, collectFiles([dir]), { source: 'cli' });
        const outcome = await followLoad(ctx, ticket.ingestionRunId, ticket.buildRunId, ticket.jobIds.ingest, true);
        printReport(outcome);
        if (outcome.status !== 'succeeded') throw new CliError(`The demo load for ${demo.slug} failed: ${outcome.error}`);
      }
      const logins = await ensureDemoLogins(ctx);
      const settings = ctx.settings;
      const gateway = `http://${settings.GATEWAY_HOST}:${settings.GATEWAY_PORT}`;
      process.stdout.write('\nKineo Analytics is up.\n\n');
      if (options.portal) process.stdout.write(`  Portal          http://127.0.0.1:${settings.PORTAL_PORT}\n`);
      process.stdout.write(`  GraphQL         ${gateway}/graphql\n`);
      process.stdout.write(`  Health          ${gateway}/health\n`);
      process.stdout.write(`  Metrics         ${gateway}/metrics\n\n`);
      printTable(
        (await tenants.list()).map((t) => ({ tenant: t.slug, name: t.name, status: t.status, dataVersion: t.dataVersion })),
        ['tenant', 'name', 'status', 'dataVersion'],
      );
      const where = options.portal ? `sign in to the portal at http://127.0.0.1:${settings.PORTAL_PORT} or` : 'e.g.';
      process.stdout.write(`\nLogins (password for all: ${DEMO_PASSWORD}): ${where} GraphQL mutation { login(email: "...", password: "...") { token } }\n`);
      printTable(logins.map((l) => ({ ...l })), ['email', 'role', 'tenant', 'sees']);
      process.stdout.write('\nPer role, sign in and ask for its dashboard numbers (paste into a shell):\n');
      for (const login of logins) {
        if (login.query) process.stdout.write(`\n${demoRequest(gateway, login)}\n`);
      }
      process.stdout.write('\nTry:  npm run kineo -- sql acme-health "select status, count(*) as n from gold.fact_course_progress group by 1 order by 1"\n');
      process.stdout.write('Stop everything with: npm run kineo -- stack down\n');
    });
}

/** A shell snippet: the login mutation with curl, then `login.query` with the token it returned. */
export function demoRequest(gateway: string, login: DemoLogin): string {
  const body = (query: string) => `'${JSON.stringify({ query }).replace(/'/g, "'\\''")}'`;
  const signIn = `mutation { login(email: ${JSON.stringify(login.email)}, password: ${JSON.stringify(DEMO_PASSWORD)}, tenant: ${JSON.stringify(login.tenant)}) { token } }`;
  return [
    `# ${login.role} ${login.email} (${login.tenant}): sees ${login.sees}`,
    `TOKEN=$(curl -s ${gateway}/graphql -H 'content-type: application/json' -d ${body(signIn)} | sed -E 's/.*"token":"([^"]+)".*/\\1/')`,
    `curl -s ${gateway}/graphql -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" -d ${body(login.query!)}`,
  ].join('\n');
}
