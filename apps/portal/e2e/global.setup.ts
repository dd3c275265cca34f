import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createPrismaClient } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { DuckDbWarehouse } from '@kineo/warehouse';
import { gateway } from './gateway';
import { freePort, kineo, repoRoot, startPortal, startService, stopService, type Service } from './stack.harness';
import { WORLD_FILE_ENV, type World } from './world';

const PASSWORD = 'portal-e2e-password';
const TENANT = { slug: 'acme-health', name: 'Acme Health Trust' };
/**
 * Loaded without certifications: its Certification compliance dashboard says what to load. Over a
 * thousand active learners, so its org admin's Reports list runs past what one answer used to hold,
 * and in over 100 organisations (some sharing a name), so a chart by organisation draws the first 50.
 */
const NO_CERTS_TENANT = { slug: 'globex-retail', name: 'Globex Retail' };
const NO_CERTS_USERS = 4800;
/** Nothing loaded at all. */
const EMPTY_TENANT = { slug: 'initech', name: 'Initech' };
/** Nothing loaded either: its org admin goes through onboarding in the browser (upload, report, build, invitations). */
const ONBOARD_TENANT = { slug: 'hooli', name: 'Hooli Learning' };
/** Loaded once, then offboarded: its data is removed, which the ops console says. */
const OFFBOARDED_TENANT = { slug: 'soylent', name: 'Soylent Learning' };
/** Published by an earlier release: one history fact lacks a column this release reads, so one tile fails. */
const STALE_GOLD_TENANT = { slug: 'umbrella', name: 'Umbrella Care' };
const AS_OF = '2026-06-30';

/**
 * The whole product for the browser tests: real Postgres and Redis (testkit), the built worker and
 * gateway, a tenant whose generated LMS export went through the real load path to published gold,
 * one login per role, and the built portal (`next start`) pointed at that gateway.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const started: Service[] = [];
  let stack: TestStack | undefined;
  const teardown = async () => {
    for (const service of started.reverse()) await stopService(service);
    await stack?.stop();
  };
  try {
    stack = await startTestStack();
    const logDir = path.join(stack.dir, 'logs');
    const gatewayPort = await freePort();
    const env: Record<string, string> = { ...stack.env, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(gatewayPort) };
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    // Chosen before the gateway starts: its invitation links and Microsoft sign-in land on the portal.
    const portalPort = await freePort();
    const portalUrl = `http://127.0.0.1:${portalPort}`;
    env.PORTAL_URL = portalUrl;

    started.push(
      await startService('worker', [path.join(repoRoot, 'apps/worker/dist/main.js')], { ...env, LOG_LEVEL: 'info' }, { logLine: 'worker ready' }, logDir),
    );
    started.push(await startService('gateway', [path.join(repoRoot, 'apps/gateway/dist/main.js')], env, { url: `${gatewayUrl}/health/live` }, logDir));

    const logins = {
      admin: `admin@${TENANT.slug}.example`,
      manager: `manager@${TENANT.slug}.example`,
      ops: 'ops@kineo.example',
      noCertsAdmin: `admin@${NO_CERTS_TENANT.slug}.example`,
      emptyAdmin: `admin@${EMPTY_TENANT.slug}.example`,
      onboardAdmin: `admin@${ONBOARD_TENANT.slug}.example`,
      staleGoldAdmin: `admin@${STALE_GOLD_TENANT.slug}.example`,
      ungrantedViewer: `viewer@${TENANT.slug}.example`,
      divisionViewer: `division.viewer@${TENANT.slug}.example`,
    };
    const onboardExport = path.join(stack.dir, 'export-onboard');
    const testStack = stack;
    // Four independent chains at once (each tenant's loads queue on the worker as a customer's
    // would); the stale-gold tenant copies the main tenant's published data, so it comes after.
    const [main, noCertsLearners] = await settleAll([
      (async () => {
        await kineo(['tenant', 'create', TENANT.slug, '--name', TENANT.name, '--wait'], env);
        const exportDir = path.join(testStack.dir, 'export');
        await kineo(['generate', exportDir, '--users', '300', '--seed', '11', '--years', '2', '--as-of', AS_OF, '--json'], env);
        await kineo(['ingest', TENANT.slug, exportDir, '--as-of', AS_OF, '--json'], env);
        const manager = await busiestManager(env);
        await kineo(['user', 'create', logins.admin, '--tenant', TENANT.slug, '--role', 'org_admin', '--password', PASSWORD], env);
        await kineo(
          ['user', 'create', logins.manager, '--tenant', TENANT.slug, '--role', 'manager', '--lms-user-id', String(manager.userKey), '--password', PASSWORD],
          env,
        );
        await kineo(['user', 'create', logins.ungrantedViewer, '--tenant', TENANT.slug, '--role', 'viewer', '--password', PASSWORD], env);
        await kineo(['user', 'create', logins.divisionViewer, '--tenant', TENANT.slug, '--role', 'viewer', '--password', PASSWORD], env);
        const grantedDivision = await grantDivision(env, gatewayUrl, logins.admin, logins.divisionViewer, 'People & Culture');
        return { manager, grantedDivision };
      })(),
      (async () => {
        await kineo(['tenant', 'create', NO_CERTS_TENANT.slug, '--name', NO_CERTS_TENANT.name, '--wait'], env);
        const noCertsDir = path.join(testStack.dir, 'export-no-certs');
        await kineo(['generate', noCertsDir, '--users', String(NO_CERTS_USERS), '--seed', '12', '--years', '1', '--as-of', AS_OF, '--json'], env);
        fs.rmSync(path.join(noCertsDir, 'cert_completions.csv'));
        await kineo(['ingest', NO_CERTS_TENANT.slug, noCertsDir, '--as-of', AS_OF, '--json'], env);
        await kineo(['user', 'create', logins.noCertsAdmin, '--tenant', NO_CERTS_TENANT.slug, '--role', 'org_admin', '--password', PASSWORD], env);
        return activeLearners(env, NO_CERTS_TENANT.slug);
      })(),
      (async () => {
        await kineo(['user', 'create', logins.ops, '--ops', '--password', PASSWORD], env);
        await kineo(['tenant', 'create', EMPTY_TENANT.slug, '--name', EMPTY_TENANT.name, '--wait'], env);
        await kineo(['user', 'create', logins.emptyAdmin, '--tenant', EMPTY_TENANT.slug, '--role', 'org_admin', '--password', PASSWORD], env);
        await fillEverySeat(testStack, EMPTY_TENANT.slug);

        await kineo(['tenant', 'create', ONBOARD_TENANT.slug, '--name', ONBOARD_TENANT.name, '--wait'], env);
        await kineo(['user', 'create', logins.onboardAdmin, '--tenant', ONBOARD_TENANT.slug, '--role', 'org_admin', '--password', PASSWORD], env);
        await kineo(['generate', onboardExport, '--users', '50', '--seed', '13', '--years', '1', '--as-of', AS_OF, '--json'], env);

        await kineo(['tenant', 'create', OFFBOARDED_TENANT.slug, '--name', OFFBOARDED_TENANT.name, '--wait'], env);
        await kineo(['ingest', OFFBOARDED_TENANT.slug, onboardExport, '--as-of', AS_OF, '--json'], env);
        await kineo(['tenant', 'offboard', OFFBOARDED_TENANT.slug, '--confirm', OFFBOARDED_TENANT.slug, '--json'], env);
        await kineo(['tenant', 'create', STALE_GOLD_TENANT.slug, '--name', STALE_GOLD_TENANT.name, '--wait'], env);
        await kineo(['user', 'create', logins.staleGoldAdmin, '--tenant', STALE_GOLD_TENANT.slug, '--role', 'org_admin', '--password', PASSWORD], env);
      })(),
      (async () => {
        started.push((await startPortal(env, gatewayUrl, logDir, portalPort)).service);
      })(),
    ] as const);
    const { manager, grantedDivision } = main;
    await publishStaleGold(stack, TENANT.slug, STALE_GOLD_TENANT.slug, AS_OF);

    const world: World = {
      portalUrl,
      gatewayUrl,
      password: PASSWORD,
      tenant: TENANT,
      logins,
      manager,
      grantedDivision,
      noCertsLearners,
      onboard: { tenant: ONBOARD_TENANT, exportDir: onboardExport },
      offboarded: OFFBOARDED_TENANT,
    };
    const worldFile = path.join(stack.dir, 'world.json');
    fs.writeFileSync(worldFile, JSON.stringify(world, null, 2));
    process.env[WORLD_FILE_ENV] = worldFile;
    return teardown;
  } catch (error) {
    await teardown();
    throw error;
  }
}

/**
 * Waits for every chain, then fails with the first failure (not at the first, which would tear the
 * stack down under the chains still running).
 */
async function settleAll<T extends readonly Promise<unknown>[]>(chains: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(chains);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** Grants the viewer a division of the main tenant's hierarchy (with everything below it), as its org admin does on Users. */
async function grantDivision(env: Record<string, string>, gatewayUrl: string, admin: string, viewer: string, name: string): Promise<World['grantedDivision']> {
  const found = await kineo(
    ['sql', TENANT.slug, `select organisation_id, label, path from gold.dim_organisation where name = '${name.replace(/'/g, "''")}' and depth = 2 order by organisation_id limit 1`, '--json'],
    env,
  );
  const division = JSON.parse(found.trim()) as { organisation_id: number | string; label: string; path: string };
  const q = JSON.stringify;
  const { login } = await gateway<{ login: { token: string } }>(gatewayUrl, `mutation { login(email: ${q(admin)}, password: ${q(PASSWORD)}) { token } }`);
  const { users } = await gateway<{ users: { membershipId: string; email: string }[] }>(gatewayUrl, '{ users { membershipId email } }', login.token);
  const membershipId = users.find((u) => u.email === viewer)!.membershipId;
  await gateway(gatewayUrl, `mutation { grantViewerOrganisations(membershipId: ${q(membershipId)}, organisationIds: [${Number(division.organisation_id)}]) { organisationIds } }`, login.token);
  return { id: Number(division.organisation_id), name: division.label, path: division.path };
}

/** Gives the tenant's subscription exactly the seats its members take now: its Users page has none free. */
async function fillEverySeat(stack: TestStack, slug: string): Promise<void> {
  const prisma = createPrismaClient(stack.databaseUrl, { poolSize: 1 });
  try {
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug } });
    const members = await prisma.membership.count({ where: { tenantId: tenant.id, deactivatedAt: null } });
    await prisma.subscription.updateMany({ where: { tenantId: tenant.id, status: 'active' }, data: { seatLimit: members } });
  } finally {
    await prisma.$disconnect();
  }
}

/** The manager with the most direct reports, and their active reports at every level, from published gold. */
async function busiestManager(env: Record<string, string>): Promise<World['manager']> {
  const top = await kineo(
    [
      'sql',
      TENANT.slug,
      `select manager_user_key from gold.dim_manager_relationship where relationship = 'direct' and manager_user_key > 0
       group by 1 order by count(*) desc, 1 limit 1`,
      '--json',
    ],
    env,
  );
  const userKey = Number((JSON.parse(top.trim()) as { manager_user_key: number }).manager_user_key);
  const reports = await kineo(
    [
      'sql',
      TENANT.slug,
      // Dashboards show active learners unless asked otherwise.
      `select r.user_key from gold.dim_manager_relationship r join gold.dim_user u on u.user_key = r.user_key
       where r.manager_user_key = ${userKey} and r.relationship <> 'self' and u.is_active order by 1`,
      '--json',
    ],
    env,
  );
  const reportKeys = reports
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => Number((JSON.parse(line) as { user_key: number }).user_key));
  return { userKey, reportKeys };
}

/** The learners an org admin's dashboards count (active, the unknown member aside), read from published gold, not through the gateway. */
async function activeLearners(env: Record<string, string>, slug: string): Promise<number> {
  const out = await kineo(['sql', slug, 'select count(*) as n from gold.dim_user where user_key <> -1 and is_active', '--json'], env);
  return Number((JSON.parse(out.trim()) as { n: number | string }).n);
}

/**
 * Publishes `from`'s gold as `to`'s version 1 as a release before year_end_basis would have built
 * it for one fact: fact_program_history without the column, the history rollups of another
 * definition (so the facts are read). Fiscal-year history's programs tile then answers
 * NEEDS_NEXT_BUILD and its other tiles answer, as on a tenant waiting for its start-up rebuild.
 * Published in Postgres only (no publish message), so nothing pre-warms or opens it before the test.
 */
async function publishStaleGold(stack: TestStack, from: string, to: string, asOf: string): Promise<void> {
  const prisma = createPrismaClient(stack.databaseUrl, { poolSize: 1 });
  const root = path.join(stack.env.KINEO_DATA_DIR, 'warehouse');
  const warehouse = new DuckDbWarehouse({ rootDir: root, threads: 1 });
  try {
    const [source, target] = await Promise.all([from, to].map((slug) => prisma.tenant.findUniqueOrThrow({ where: { slug } })));
    const snapshot = path.join(root, target.namespace, 'gold', 'v1.duckdb');
    fs.mkdirSync(path.dirname(snapshot), { recursive: true });
    fs.copyFileSync(path.join(root, source.namespace, 'gold', `v${source.dataVersion}.duckdb`), snapshot);
    const db = await DuckDBInstance.create(snapshot);
    try {
      const c = await db.connect();
      await c.run('alter table gold.fact_program_history drop column year_end_basis');
      await c.run("update gold.rollup_manifest set signature = 'older-release' where table_name like 'rollup_%history%'");
      c.closeSync();
    } finally {
      db.closeSync();
    }
    await warehouse.publish({ tenantId: target.id, namespace: target.namespace }, 1);
    await prisma.buildRun.create({ data: { tenantId: target.id, kind: 'build', status: 'succeeded', dataVersion: 1, asOf: new Date(`${asOf}T00:00:00.000Z`) } });
    await prisma.tenant.update({ where: { id: target.id }, data: { dataVersion: 1 } });
  } finally {
    await warehouse.close();
    await prisma.$disconnect();
  }
}
