import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DASHBOARDS, dashboardQueries, queryIdentity, TABLE_PAGE_SIZE, validateQuery } from '@kineo/analytics';
import { SessionTokens, loadJwtSecret, UserService } from '@kineo/auth';
import { createSecretStore, loadSettings } from '@kineo/config';
import { createPrismaClient, TenantService, type PrismaClient, type Tenant } from '@kineo/db';
import { JobQueues, provisionTenantJob } from '@kineo/jobs';
import { freePort, startOtlpReceiver, startTestStack, startWorkerProcess, stopProcess, waitForPort, type OtlpReceiver, type ReceivedSpan, type TestStack } from '@kineo/testkit';
import { ATTR, type Tracing } from '@kineo/telemetry';
import type { Row, Warehouse } from '@kineo/warehouse';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import ExcelJS from 'exceljs';
import type { Redis } from 'ioredis';
import { LOCK_LEASE_MS, resultCacheKey, resultLockKey } from '../src/engine/cache/result-cache.service';
import { REDIS } from '../src/engine/redis/redis.module';
import { TRACING } from '../src/engine/telemetry/telemetry.module';
import { AnalyticsService, answerKeyParts } from '../src/modules/analytics/analytics.service';
import { WAREHOUSE } from '../src/engine/warehouse/warehouse.module';
import { loadGeneratedExport } from './support/analytics-tenant';
import { graphql, LogCapture, startGateway, type GraphqlReply } from './support/gateway';
import { RedisRelay } from './support/redis-relay';

const PASSWORD = 'correct horse battery staple';
const AS_OF = new Date('2025-06-30T00:00:00.000Z');
const NEXT_AS_OF = new Date('2025-09-30T00:00:00.000Z');
const workerMain = path.join(__dirname, '..', '..', 'worker', 'dist', 'main.js');
const gatewayMain = path.join(__dirname, '..', 'dist', 'main.js');

/** How many warehouse queries a gateway ran, from its /metrics text. */
const warehouseQueries = (metrics: string): number =>
  Number(/^analytics_warehouse_query_duration_seconds_count\{outcome="ok"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);

interface Result {
  columns: { key: string; member: string; type: string; values?: { value: string; label: string; tone: string | null }[] | null }[];
  rows: Record<string, unknown>[];
  dataVersion: number;
  asOf: string;
  cached: boolean;
  rollup: string | null;
  hasMore: boolean;
  total: number | null;
  partialPeriod: { column: string; value: string | number; through: string; reason: string } | null;
  partialStart: { column: string; value: string | number; from: string } | null;
}

const RESULT = 'columns { key member type values { value label tone } } rows dataVersion asOf cached rollup hasMore total partialPeriod { column value through reason } partialStart { column value from }';


describe('analytics over GraphQL, on a generated tenant loaded through the real pipeline', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let queues: JobQueues;
  let worker: ChildProcess;
  let app: NestFastifyApplication;
  /** A second gateway, its own process (the built main.js), for single flight across processes. */
  let otherGateway: ChildProcess;
  let otherPort: number;
  /** The second gateway's way to Redis, which can freeze it while it holds a query's lock. */
  let otherRelay: RedisRelay;
  let warehouse: Warehouse;
  let acme: Tenant;
  let globex: Tenant;
  let acmeVersion: number;
  const tokens: Record<string, string> = {};
  /** The LMS user id of an acme manager with direct and indirect reports. */
  let managerUserId: number;
  /** An acme organisation granted to the viewer (with its subtree). */
  let grantedOrganisationId: number;
  // The gateway and the worker both trace to it, as they would to a collector.
  let collector: OtlpReceiver;
  // nestjs-pino keeps one root logger per process, so this suite's first gateway decides where logs go.
  const logs = new LogCapture();

  /** Independent SQL on a tenant's published gold, as the test writes it (not the semantic layer). */
  const sql = async <R extends Row = Row>(tenant: Tenant, text: string, params: (string | number | boolean)[] = []): Promise<R[]> =>
    (await warehouse.queryPublished<R>({ tenantId: tenant.id, namespace: tenant.namespace }, text, params)).rows;

  const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });

  async function analytics(who: string, query: object, reach?: 'all' | 'direct'): Promise<GraphqlReply<{ analytics: Result }>> {
    return graphql<{ analytics: Result }>(app, `query ($q: AnalyticsQueryInput!, $reach: Reach) { analytics(query: $q, reach: $reach) { ${RESULT} } }`, as(who), {
      q: query,
      ...(reach ? { reach } : {}),
    });
  }

  async function answer(who: string, query: object, reach?: 'all' | 'direct'): Promise<Result> {
    const reply = await analytics(who, query, reach);
    expect(reply.body.errors).toBeUndefined();
    return reply.body.data!.analytics;
  }

  async function dashboard(who: string, id: string, filters?: object[]) {
    const reply = await graphql<{ dashboard: { id: string; dataVersion: number; asOf: string; tiles: { id: string; query: object; pageSize: number | null; result: Result }[] } }>(
      app,
      `query ($id: String!, $filters: [AnalyticsFilterInput!]) { dashboard(id: $id, filters: $filters) { id dataVersion asOf tiles { id query pageSize result { ${RESULT} } } } }`,
      as(who),
      { id, ...(filters ? { filters } : {}) },
    );
    expect(reply.body.errors).toBeUndefined();
    const tiles = Object.fromEntries(reply.body.data!.dashboard.tiles.map((t) => [t.id, t]));
    return { ...reply.body.data!.dashboard, tiles };
  }

  const learnerIds = async (who: string, reach?: 'all' | 'direct'): Promise<number[]> =>
    (await answer(who, { measures: ['Learner.count'], dimensions: ['Learner.userId'], limit: 50000 }, reach)).rows.map((r) => Number(r['Learner.userId'])).sort((a, b) => a - b);

  const ids = (rows: { user_id: unknown }[]) => rows.map((r) => Number(r.user_id)).sort((a, b) => a - b);

  async function login(email: string, tenant?: string): Promise<string> {
    const reply = await graphql<{ login: { token: string } }>(
      app,
      `mutation { login(email: ${JSON.stringify(email)}, password: ${JSON.stringify(PASSWORD)}${tenant ? `, tenant: ${JSON.stringify(tenant)}` : ''}) { token } }`,
    );
    expect(reply.body.errors).toBeUndefined();
    return reply.body.data!.login.token;
  }

  beforeAll(async () => {
    stack = await startTestStack();
    collector = await startOtlpReceiver();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    queues = new JobQueues(stack.redisUrl);
    const tenants = new TenantService(prisma);
    const users = new UserService(prisma);
    const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint };
    worker = await startWorkerProcess(workerMain, { ...stack.env, ...tracing });
    app = await startGateway(stack, { ...tracing, LOG_LEVEL: 'info' }, { logDestination: logs });
    warehouse = app.get<Warehouse>(WAREHOUSE);
    // Started now so its start-up overlaps the loads below rather than the test that uses it.
    otherPort = await freePort();
    otherRelay = await RedisRelay.start(stack.redisUrl);
    otherGateway = spawn(process.execPath, [gatewayMain], {
      env: { ...process.env, ...stack.env, REDIS_URL: otherRelay.url, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(otherPort), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });

    acme = await tenants.create({ slug: 'acme', name: 'Acme Health', actor: 'test' });
    globex = await tenants.create({ slug: 'globex', name: 'Globex', actor: 'test' });
    for (const tenant of [acme, globex]) await queues.enqueue(provisionTenantJob, { tenantId: tenant.id, requestedBy: 'test' });
    for (const [email, slug] of [['admin@acme.test', 'acme'], ['admin@globex.test', 'globex']] as const) {
      await users.create({ email, password: PASSWORD, grant: { tenantSlug: slug, role: 'org_admin' }, actor: 'test' });
    }
    await users.create({ email: 'ops@kineo.test', password: PASSWORD, grant: { ops: true }, actor: 'test' });
    for (const slug of ['acme', 'globex']) {
      for (let i = 0; (await tenants.get(slug)).status !== 'active'; i++) {
        if (i > 600) throw new Error(`${slug} was not provisioned`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    tokens.acmeAdmin = await login('admin@acme.test');
    tokens.globexAdmin = await login('admin@globex.test');
    const dir = path.join(stack.dir, 'exports');
    // Globex has more users than Acme, so some of its LMS user ids exist only there.
    const [acmeLoad] = await Promise.all([
      loadGeneratedExport(app, prisma, { token: tokens.acmeAdmin, dir: path.join(dir, 'acme'), users: 60, seed: 11, asOf: AS_OF }),
      loadGeneratedExport(app, prisma, { token: tokens.globexAdmin, dir: path.join(dir, 'globex'), users: 90, seed: 22, asOf: AS_OF }),
    ]);
    acmeVersion = acmeLoad.dataVersion;

    const [manager] = await sql<{ user_id: number }>(
      acme,
      `select mu.user_id from gold.dim_manager_relationship r join gold.dim_user mu on mu.user_key = r.manager_user_key
       where r.manager_user_key <> -1 and r.relationship <> 'self'
       group by mu.user_id having count(case when r.relationship = 'direct' then 1 end) > 0 and count(case when r.relationship = 'indirect' then 1 end) > 0
       order by count(*) desc, mu.user_id limit 1`,
    );
    managerUserId = Number(manager!.user_id);
    const [organisation] = await sql<{ organisation_id: number }>(
      acme,
      `select g.organisation_id from gold.dim_organisation g join gold.dim_organisation o on o.path = g.path or o.path like g.path || '/%'
       join gold.dim_user u on u.organisation_key = o.organisation_key
       where g.organisation_key <> -1 and g.depth > 0 and u.user_key <> -1
       group by g.organisation_id having count(distinct o.organisation_key) > 1 order by count(distinct u.user_key) desc, g.organisation_id limit 1`,
    );
    grantedOrganisationId = Number(organisation!.organisation_id);

    await users.create({ email: 'manager@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'manager', lmsUserId: managerUserId }, actor: 'test' });
    // Sign-up insists on the link; a membership can still lack it (its LMS user left), so it is made by hand.
    await users.create({ email: 'unlinked@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
    await prisma.membership.updateMany({ where: { tenantId: acme.id, user: { email: 'unlinked@acme.test' } }, data: { role: 'manager', lmsUserId: null } });
    await users.create({ email: 'viewer@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
    await users.create({ email: 'nogrant@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
    const viewer = await prisma.membership.findFirstOrThrow({ where: { tenantId: acme.id, user: { email: 'viewer@acme.test' } } });
    await prisma.viewerGrant.create({ data: { membershipId: viewer.id, organisationId: BigInt(grantedOrganisationId) } });
    tokens.manager = await login('manager@acme.test');
    tokens.unlinked = await login('unlinked@acme.test');
    tokens.viewer = await login('viewer@acme.test');
    tokens.nogrant = await login('nogrant@acme.test');
    tokens.ops = await login('ops@kineo.test');
  }, 900_000);

  afterAll(async () => {
    await stopProcess(otherGateway);
    await otherRelay?.stop();
    await app?.close();
    await stopProcess(worker);
    await queues?.close();
    await prisma?.$disconnect();
    await collector?.stop();
    await stack?.stop();
  });

  describe("each dashboard's numbers, as an org admin sees them, equal SQL written here", () => {
    const ACTIVE = 'join gold.dim_user u on u.user_key = f.user_key where u.is_active';

    it('course completion', async () => {
      const board = await dashboard('acmeAdmin', 'course-completion');
      const [expected] = await sql<{ n: number; done: number; learners: number }>(
        acme,
        `select count(*) as n, count(case when f.status in ('complete', 'complete_rpl') then 1 end) as done, count(distinct f.user_key) as learners
         from gold.fact_course_progress f ${ACTIVE}`,
      );
      expect(Number(expected!.n)).toBeGreaterThan(0);
      expect(board.tiles.summary!.result.rows).toEqual([
        expect.objectContaining({
          'CourseProgress.count': Number(expected!.n),
          'CourseProgress.completed': Number(expected!.done),
          'CourseProgress.learners': Number(expected!.learners),
          'CourseProgress.completionRate': expect.closeTo(Number(expected!.done) / Number(expected!.n), 9),
        }),
      ]);
      const byStatus = await sql<{ status: string; n: number }>(acme, `select f.status, count(*) as n from gold.fact_course_progress f ${ACTIVE} group by 1`);
      expect(Object.fromEntries(board.tiles['by-status']!.result.rows.map((r) => [r['CourseProgress.status'], r['CourseProgress.count']]))).toEqual(
        Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])),
      );
      expect(board.dataVersion).toBe(acmeVersion);
      expect(board.asOf).toBe(AS_OF.toISOString());
      // The worker built the rollups with the version: these numbers came from them, equal to the SQL on the facts above.
      expect(board.tiles.summary!.result.rollup).toBe('CourseProgress.summary');
      expect(Object.values(board.tiles).every((t) => t.result.rollup?.startsWith('CourseProgress.'))).toBe(true);
    });

    it('certification compliance', async () => {
      const board = await dashboard('acmeAdmin', 'certification-compliance');
      const [expected] = await sql<Record<string, number>>(
        acme,
        `select count(*) as n, count(case when f.is_compliant then 1 end) as compliant, count(case when f.is_overdue then 1 end) as overdue,
                count(case when f.state = 'expired' then 1 end) as expired, count(case when f.state = 'window_open' then 1 end) as window_open
         from gold.fact_certification_progress f ${ACTIVE}`,
      );
      expect(Number(expected!.n)).toBeGreaterThan(0);
      expect(board.tiles.summary!.result.rows[0]).toMatchObject({
        'Certification.count': Number(expected!.n),
        'Certification.compliant': Number(expected!.compliant),
        'Certification.overdue': Number(expected!.overdue),
        'Certification.expired': Number(expected!.expired),
        'Certification.windowOpen': Number(expected!.window_open),
      });
      const byRag = await sql<{ rag: string; n: number }>(acme, `select f.rag, count(*) as n from gold.fact_certification_progress f ${ACTIVE} group by 1`);
      expect(Object.fromEntries(board.tiles['by-rag']!.result.rows.map((r) => [r['Certification.rag'], r['Certification.count']]))).toEqual(
        Object.fromEntries(byRag.map((r) => [r.rag, Number(r.n)])),
      );
      // Each code comes with how it reads and what it means, so a chart shows "Red" in red.
      expect(board.tiles['by-rag']!.result.columns.find((c) => c.member === 'Certification.rag')!.values).toEqual([
        { value: 'red', label: 'Red', tone: 'bad' },
        { value: 'amber', label: 'Amber', tone: 'warning' },
        { value: 'green', label: 'Green', tone: 'good' },
      ]);
      expect(board.tiles['by-organisation']!.result.columns.find((c) => c.member === 'Learner.organisationName')!.values).toBeNull();
    });

    it('program progress', async () => {
      const board = await dashboard('acmeAdmin', 'program-progress');
      const [expected] = await sql<Record<string, number>>(
        acme,
        `select count(*) as n, count(case when f.status = 'complete' then 1 end) as done, count(case when f.is_overdue then 1 end) as overdue
         from gold.fact_program_progress f ${ACTIVE}`,
      );
      expect(Number(expected!.n)).toBeGreaterThan(0);
      expect(board.tiles.summary!.result.rows[0]).toMatchObject({
        'ProgramProgress.count': Number(expected!.n),
        'ProgramProgress.completed': Number(expected!.done),
        'ProgramProgress.overdue': Number(expected!.overdue),
      });
      const byStatus = await sql<{ status: string; n: number }>(acme, `select f.status, count(*) as n from gold.fact_program_progress f ${ACTIVE} group by 1`);
      expect(Object.fromEntries(board.tiles['by-status']!.result.rows.map((r) => [r['ProgramProgress.status'], r['ProgramProgress.count']]))).toEqual(
        Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])),
      );
    });

    it('learning activity', async () => {
      const board = await dashboard('acmeAdmin', 'learning-activity');
      const [scorm] = await sql<Record<string, number>>(acme, `select count(*) as attempts, sum(f.total_seconds) / 3600.0 as hours from gold.fact_scorm f ${ACTIVE}`);
      const [seminar] = await sql<Record<string, number>>(
        acme,
        `select count(*) as signups, count(case when f.attended then 1 end) as attended from gold.fact_seminar_signup f ${ACTIVE}`,
      );
      const bySource = await sql<{ source: string; hours: number }>(acme, `select f.source, sum(f.seconds) / 3600.0 as hours from gold.fact_learning_time f ${ACTIVE} group by 1`);
      expect(Number(scorm!.attempts)).toBeGreaterThan(0);
      expect(board.tiles['scorm-summary']!.result.rows[0]).toMatchObject({
        'Scorm.attempts': Number(scorm!.attempts),
        'Scorm.hours': expect.closeTo(Number(scorm!.hours), 6),
      });
      expect(board.tiles['seminar-summary']!.result.rows[0]).toMatchObject({
        'SeminarSignup.signups': Number(seminar!.signups),
        'SeminarSignup.attended': Number(seminar!.attended),
      });
      const hours = Object.fromEntries(board.tiles['hours-by-source']!.result.rows.map((r) => [r['LearningTime.source'], r['LearningTime.hours']]));
      expect(Object.keys(hours).sort()).toEqual(bySource.map((r) => r.source).sort());
      for (const row of bySource) expect(hours[row.source]).toBeCloseTo(Number(row.hours), 6);
    });

    describe('cut by a period', () => {
      /** A range of days holding some of a fact's rows and not all: from its first dated row to its middle one. */
      const someDays = async (table: string, column: string): Promise<[string, string]> => {
        const keys = (await sql<{ k: number }>(acme, `select distinct ${column} as k from gold.${table} where ${column} <> -1 order by 1`)).map((r) => Number(r.k));
        expect(keys.length).toBeGreaterThan(2);
        const day = (key: number) => `${String(key).slice(0, 4)}-${String(key).slice(4, 6)}-${String(key).slice(6, 8)}`;
        return [day(keys[0]!), day(keys[Math.floor(keys.length / 2)]!)];
      };
      const keysOf = (range: [string, string]) => range.map((d) => Number(d.replace(/-/g, ''))).join(' and ');
      const inRange = (range: [string, string]) => ({ operator: 'inDateRange', values: range });

      it("'Completed' keeps the enrolments completed in the period, on every course tile", async () => {
        const reply = await graphql<{ dashboard: { periods: unknown } }>(app, '{ dashboard(id: "course-completion") { periods { title members } } }', as('acmeAdmin'));
        expect(reply.body.data!.dashboard.periods).toEqual([
          { title: 'Enrolled', members: ['CourseProgress.enrolledDate'] },
          { title: 'Completed', members: ['CourseProgress.completedDate'] },
        ]);
        const range = await someDays('fact_course_progress', 'completed_date_key');
        const board = await dashboard('acmeAdmin', 'course-completion', [{ member: 'CourseProgress.completedDate', ...inRange(range) }]);
        const where = `${ACTIVE} and f.completed_date_key between ${keysOf(range)}`;
        const [expected] = await sql<{ n: number; learners: number }>(acme, `select count(*) as n, count(distinct f.user_key) as learners from gold.fact_course_progress f ${where}`);
        const [all] = await sql<{ n: number }>(acme, `select count(*) as n from gold.fact_course_progress f ${ACTIVE} and f.completed_date_key <> -1`);
        expect(Number(expected!.n)).toBeGreaterThan(0);
        expect(Number(expected!.n)).toBeLessThan(Number(all!.n));
        expect(board.tiles.summary!.result.rows[0]).toMatchObject({
          'CourseProgress.count': Number(expected!.n),
          'CourseProgress.completed': Number(expected!.n),
          'CourseProgress.learners': Number(expected!.learners),
          'CourseProgress.completionRate': 1,
        });
        const byStatus = await sql<{ status: string; n: number }>(acme, `select f.status, count(*) as n from gold.fact_course_progress f ${where} group by 1`);
        expect(Object.fromEntries(board.tiles['by-status']!.result.rows.map((r) => [r['CourseProgress.status'], r['CourseProgress.count']]))).toEqual(
          Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])),
        );
        const months = board.tiles['completions-by-month']!.result.rows;
        expect(months.reduce((sum, r) => sum + Number(r['CourseProgress.completed']), 0)).toBe(Number(expected!.n));
        // The month chart's days come from the day rollup, cut to the range; the summary's distinct learners from the facts.
        expect(board.tiles['completions-by-month']!.result.rollup).toBe('CourseProgress.byCompletedDay');
        expect(board.tiles.summary!.result.rollup).toBeNull();
      });

      it("a manager's 'Completed' keeps their own reports' completions in the period, direct ones only when asked", async () => {
        const range = await someDays('fact_course_progress', 'completed_date_key');
        const filters = [{ member: 'CourseProgress.completedDate', ...inRange(range) }];
        const completedBy = async (relationships: string) =>
          (
            await sql<{ n: number }>(
              acme,
              `select count(*) as n from gold.fact_course_progress f join gold.dim_user u on u.user_key = f.user_key
               where u.is_active and f.completed_date_key between ${keysOf(range)} and f.user_key in (
                 select r.user_key from gold.dim_manager_relationship r join gold.dim_user m on m.user_key = r.manager_user_key
                 where m.user_id = ? and r.relationship in (${relationships}))`,
              [managerUserId],
            )
          )[0]!.n;
        const all = Number(await completedBy("'direct', 'indirect'"));
        const direct = Number(await completedBy("'direct'"));
        expect(all).toBeGreaterThan(0);
        expect((await dashboard('manager', 'course-completion', filters)).tiles.summary!.result.rows[0]).toMatchObject({ 'CourseProgress.completed': all });
        const reply = await graphql<{ dashboard: { tiles: { id: string; result: Result }[] } }>(
          app,
          'query ($filters: [AnalyticsFilterInput!]) { dashboard(id: "course-completion", filters: $filters, reach: direct) { tiles { id result { rows } } } }',
          as('manager'),
          { filters },
        );
        expect(reply.body.data!.dashboard.tiles.find((t) => t.id === 'summary')!.result.rows[0]).toMatchObject({ 'CourseProgress.completed': direct });
      });

      it("'Activity on' cuts SCORM, seminars and learning time each by its own date", async () => {
        const scormDays = await someDays('fact_scorm', 'last_accessed_date_key');
        const seminarDays = await someDays('fact_seminar_signup', 'status_date_key');
        const timeDays = await someDays('fact_learning_time', 'date_key');
        const board = await dashboard('acmeAdmin', 'learning-activity', [
          { member: 'Scorm.lastAccessedDate', ...inRange(scormDays) },
          { member: 'SeminarSignup.statusDate', ...inRange(seminarDays) },
          { member: 'LearningTime.date', ...inRange(timeDays) },
        ]);
        const [scorm] = await sql<{ n: number }>(acme, `select count(*) as n from gold.fact_scorm f ${ACTIVE} and f.last_accessed_date_key between ${keysOf(scormDays)}`);
        const [seminar] = await sql<{ n: number }>(acme, `select count(*) as n from gold.fact_seminar_signup f ${ACTIVE} and f.status_date_key between ${keysOf(seminarDays)}`);
        const bySource = await sql<{ source: string; hours: number }>(
          acme,
          `select f.source, sum(f.seconds) / 3600.0 as hours from gold.fact_learning_time f ${ACTIVE} and f.date_key between ${keysOf(timeDays)} group by 1`,
        );
        expect(Number(scorm!.n)).toBeGreaterThan(0);
        expect(board.tiles['scorm-summary']!.result.rows[0]).toMatchObject({ 'Scorm.attempts': Number(scorm!.n) });
        expect(board.tiles['seminar-summary']!.result.rows[0]).toMatchObject({ 'SeminarSignup.signups': Number(seminar!.n) });
        const hours = Object.fromEntries(board.tiles['hours-by-source']!.result.rows.map((r) => [r['LearningTime.source'], r['LearningTime.hours']]));
        expect(Object.keys(hours).sort()).toEqual(bySource.map((r) => r.source).sort());
        for (const row of bySource) expect(hours[row.source]).toBeCloseTo(Number(row.hours), 6);
      });

      it('refuses a day that is not a date, naming the filter by its place in what was sent', async () => {
        // The tiles' own filters and the dashboard's default (active learners) come first in each tile's
        // query; the message counts only the caller's filters, so the bad one is filters[1].
        const filters =
          '[{ member: "Learner.organisationName", operator: equals, values: ["Sales"] }, { member: "CourseProgress.enrolledDate", operator: inDateRange, values: ["2026-02-30", "2026-03-31"] }]';
        const reply = await graphql(app, `{ dashboard(id: "course-completion", filters: ${filters}) { tiles { error { code message } } } }`, as('acmeAdmin'));
        expect(reply.body.errors).toEqual([
          expect.objectContaining({
            message: expect.stringMatching(/^filters\[1\] \(CourseProgress\.enrolledDate inDateRange\): "2026-02-30" is not an ISO date 'YYYY-MM-DD'\.$/),
            extensions: { code: 'INVALID_QUERY' },
          }),
        ]);
      });
    });

    it('my team (an org admin sees every active learner, a page at a time, with how many there are)', async () => {
      const board = await dashboard('acmeAdmin', 'my-team');
      const [expected] = await sql<{ n: number }>(acme, 'select count(*) as n from gold.dim_user where user_key <> -1 and is_active');
      const n = Number(expected!.n);
      expect(n).toBeGreaterThan(2 * TABLE_PAGE_SIZE);
      expect(board.tiles.summary!.result.rows[0]).toMatchObject({ 'Learner.count': n });
      // The table is the whole list, paged by the warehouse: its first page, and how long the list is.
      const reports = board.tiles.reports!;
      expect(reports.pageSize).toBe(TABLE_PAGE_SIZE);
      expect(reports.query).not.toHaveProperty('limit');
      expect(reports.result).toMatchObject({ total: n, hasMore: true });
      expect(reports.result.rows).toHaveLength(TABLE_PAGE_SIZE);
      expect(board.tiles.summary!.pageSize).toBeNull();
      // Each learner's totals come from the per-learner rollup, read without regrouping: equal to counting the facts.
      expect(reports.result.rollup).toBe('Learner.reports');
      const pages: Result[] = [reports.result];
      while (pages[pages.length - 1]!.hasMore) {
        pages.push(await answer('acmeAdmin', { ...reports.query, limit: TABLE_PAGE_SIZE, offset: pages.length * TABLE_PAGE_SIZE }));
      }
      expect(pages).toHaveLength(Math.ceil(n / TABLE_PAGE_SIZE));
      expect(pages.slice(1).every((p) => p.total === null)).toBe(true);
      expect(pages[pages.length - 1]!.rows).toHaveLength(n - TABLE_PAGE_SIZE * (pages.length - 1));
      const listed = pages.flatMap((p) => p.rows);
      // In the tile's order (most overdue first), every learner once.
      const overdue = listed.map((r) => Number(r['Learner.overdueItems']));
      expect(overdue).toEqual([...overdue].sort((a, b) => b - a));
      expect(new Set(listed.map((r) => r['Learner.userId'])).size).toBe(n);
      const perLearner = await sql<{ user_id: number; overdue: number; completed: number }>(
        acme,
        `select u.user_id,
           (select count(*) from gold.fact_program_progress p where p.user_key = u.user_key and p.is_overdue)
             + (select count(*) from gold.fact_certification_progress c where c.user_key = u.user_key and c.is_overdue) as overdue,
           (select count(*) from gold.fact_course_progress c where c.user_key = u.user_key and c.is_complete)
             + (select count(*) from gold.fact_program_progress p where p.user_key = u.user_key and p.is_complete)
             + (select count(*) from gold.fact_certification_progress c where c.user_key = u.user_key and c.is_completed) as completed
         from gold.dim_user u where u.user_key <> -1 and u.is_active`,
      );
      const answered = (r: Record<string, unknown>) => [r['Learner.userId'], r['Learner.overdueItems'], r['Learner.completedItems']].join(':');
      expect(listed.map(answered).sort()).toEqual(perLearner.map((r) => [r.user_id, r.overdue, r.completed].map(Number).join(':')).sort());
      // A page past the end is empty, not an error; a total asked on a later page still counts the whole list.
      expect(await answer('acmeAdmin', { ...reports.query, limit: TABLE_PAGE_SIZE, offset: n, total: true })).toMatchObject({ rows: [], hasMore: false, total: n });
      // Exported, the table is every row, not its page.
      const exported = await app.inject({ method: 'POST', url: '/exports', headers: as('acmeAdmin'), payload: { format: 'csv', query: { ...reports.query, offset: 50 } } });
      expect(exported.statusCode).toBe(200);
      expect(exported.body.trimEnd().split('\n')).toHaveLength(n + 1);
    });

    it('fiscal-year history', async () => {
      const board = await dashboard('acmeAdmin', 'fiscal-year-history');
      // A year that ended before the first load knows its completions alone: no enrolments, assignments or overdue ("—"), never 0.
      const expected = await sql<{ fiscal_year: number; n: number | null; done: number }>(
        acme,
        `select f.fiscal_year,
           case when count(case when f.year_end_basis = 'observed' then 1 end) = 0 then null else count(case when f.year_end_basis = 'observed' then 1 end) end as n,
           count(case when f.status in ('complete', 'complete_rpl') then 1 end) as done
         from gold.fact_course_history f ${ACTIVE} and f.is_year_closed group by 1 order by 1`,
      );
      expect(expected.length).toBeGreaterThan(0);
      const num = (v: unknown) => (v === null ? null : Number(v));
      expect(
        board.tiles.courses!.result.rows.map((r) => [Number(r['CourseHistory.fiscalYear']), num(r['CourseHistory.count']), num(r['CourseHistory.completed'])]),
      ).toEqual(expected.map((r) => [Number(r.fiscal_year), num(r.n), Number(r.done)]));
      const programs = await sql<{ fiscal_year: number; n: number | null; overdue: number | null }>(
        acme,
        `select f.fiscal_year,
           case when count(case when f.year_end_basis = 'observed' then 1 end) = 0 then null else count(case when f.year_end_basis = 'observed' then 1 end) end as n,
           case when count(case when f.year_end_basis = 'observed' then 1 end) = 0 then null else count(case when f.year_end_basis = 'observed' and f.is_overdue then 1 end) end as overdue
         from gold.fact_program_history f ${ACTIVE} and f.is_year_closed group by 1 order by 1`,
      );
      expect(
        board.tiles.programs!.result.rows.map((r) => [Number(r['ProgramHistory.fiscalYear']), num(r['ProgramHistory.count']), num(r['ProgramHistory.overdue'])]),
      ).toEqual(programs.map((r) => [Number(r.fiscal_year), num(r.n), num(r.overdue)]));
    });
  });

  describe('scope', () => {
    it('an org admin sees every learner of the tenant', async () => {
      const all = await sql<{ user_id: number }>(acme, 'select user_id from gold.dim_user where user_key <> -1');
      expect(await learnerIds('acmeAdmin')).toEqual(ids(all));
    });

    it('a manager sees exactly the reports dim_manager_relationship gives them: all levels by default, direct ones when asked', async () => {
      const reportsOf = (relationships: string) =>
        sql<{ user_id: number }>(
          acme,
          `select u.user_id from gold.dim_manager_relationship r join gold.dim_user m on m.user_key = r.manager_user_key
           join gold.dim_user u on u.user_key = r.user_key where m.user_id = ? and r.relationship in (${relationships})`,
          [managerUserId],
        );
      const all = ids(await reportsOf("'direct', 'indirect'"));
      const direct = ids(await reportsOf("'direct'"));
      expect(direct.length).toBeGreaterThan(0);
      expect(all.length).toBeGreaterThan(direct.length);

      expect(await learnerIds('manager')).toEqual(all);
      expect(await learnerIds('manager', 'direct')).toEqual(direct);
      const team = await dashboard('manager', 'my-team');
      const [active] = await sql<{ n: number }>(
        acme,
        `select count(*) as n from gold.dim_manager_relationship r join gold.dim_user m on m.user_key = r.manager_user_key
         join gold.dim_user u on u.user_key = r.user_key where m.user_id = ? and r.relationship in ('direct', 'indirect') and u.is_active`,
        [managerUserId],
      );
      expect(team.tiles.summary!.result.rows[0]).toMatchObject({ 'Learner.count': Number(active!.n) });
    });

    it('a manager not linked to an LMS user is told so, and sees nothing', async () => {
      const reply = await analytics('unlinked', { measures: ['Learner.count'] });
      expect(reply.body.data).toBeNull();
      expect(reply.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'MANAGER_NOT_LINKED' }, message: expect.stringContaining('not linked to an LMS user') })]);
    });

    it('a viewer sees the subtrees of the organisations granted to them and nothing outside; one without grants sees nothing', async () => {
      const inside = await sql<{ user_id: number }>(
        acme,
        `select u.user_id from gold.dim_user u join gold.dim_organisation o on o.organisation_key = u.organisation_key
         join gold.dim_organisation g on o.path = g.path or o.path like g.path || '/%' where g.organisation_id = ? and u.user_key <> -1`,
        [grantedOrganisationId],
      );
      const everyone = await sql<{ user_id: number }>(acme, 'select user_id from gold.dim_user where user_key <> -1');
      expect(inside.length).toBeGreaterThan(0);
      expect(inside.length).toBeLessThan(everyone.length);
      expect(await learnerIds('viewer')).toEqual(ids(inside));

      expect(await learnerIds('nogrant')).toEqual([]);
      const board = await dashboard('nogrant', 'course-completion');
      expect(board.tiles.summary!.result.rows[0]).toMatchObject({ 'CourseProgress.count': 0 });
    });

    describe('organisations', () => {
      interface Org { id: number; name: string; path: string; depth: number; learners: number; selectable: boolean }
      interface Expected { own: Map<number, number>; all: { organisation_id: number; name: string; path: string; depth: number }[] }
      // Written here from gold: the organisations of the caller's learners, then every one on their paths.
      const learnersOf = async (learnersSql: string, params: (string | number | boolean)[] = []): Promise<Expected> => {
        const own = await sql<{ organisation_id: number; n: number }>(
          acme,
          `select o.organisation_id, count(*) as n from (${learnersSql}) s join gold.dim_user u on u.user_id = s.user_id and u.user_key <> -1
           join gold.dim_organisation o on o.organisation_key = u.organisation_key where o.organisation_key > 0 group by o.organisation_id`,
          params,
        );
        const all = await sql<{ organisation_id: number; name: string; path: string; depth: number }>(acme, 'select organisation_id, label as name, path, depth from gold.dim_organisation where organisation_key > 0');
        return { own: new Map(own.map((r) => [Number(r.organisation_id), Number(r.n)])), all };
      };
      /** The organisations listed for those learners; `withinReach` says which the caller may choose. */
      const expectedFor = ({ own, all }: Expected, withinReach: (org: { id: number; path: string; learners: number }) => boolean): Org[] => {
        const pathOf = new Map(all.map((r) => [Number(r.organisation_id), r.path]));
        const onPaths = new Set([...own.keys()].flatMap((id) => pathOf.get(id)!.split('/').filter(Boolean).map(Number)));
        return all
          .filter((r) => onPaths.has(Number(r.organisation_id)))
          .map((r) => {
            const org = { id: Number(r.organisation_id), name: r.name, path: r.path, depth: Number(r.depth), learners: own.get(Number(r.organisation_id)) ?? 0 };
            return { ...org, selectable: withinReach(org) };
          });
      };
      /** Within a granted organisation's subtree: it, or below it. */
      const under = (grantPaths: string[]) => (org: { path: string }) => grantPaths.some((g) => org.path === g || org.path.startsWith(`${g}/`));
      const pathsOf = async (organisationIds: number[]) =>
        (await sql<{ path: string }>(acme, `select path from gold.dim_organisation where organisation_id in (${organisationIds.map(() => '?').join(', ')})`, organisationIds)).map((r) => r.path);
      const reportsSql = (relationships: string) =>
        `select u.user_id from gold.dim_manager_relationship r join gold.dim_user m on m.user_key = r.manager_user_key
         join gold.dim_user u on u.user_key = r.user_key where m.user_id = ? and r.relationship in (${relationships})`;
      const grantedSql = `select u.user_id from gold.dim_user u join gold.dim_organisation o on o.organisation_key = u.organisation_key
         join gold.dim_organisation g on o.path = g.path or o.path like g.path || '/%' where g.organisation_id = ?`;

      const listed = async (who: string, reach?: 'all' | 'direct'): Promise<Org[]> => {
        const reply = await graphql<{ organisations: Org[] }>(app, 'query ($reach: Reach) { organisations(reach: $reach) { id name path depth learners selectable } }', as(who), reach ? { reach } : {});
        expect(reply.body.errors).toBeUndefined();
        const list = reply.body.data!.organisations;
        // Hierarchy order: each one's parent before it, and everything under it right after it.
        list.forEach((org, i) => {
          const parent = org.path.slice(0, org.path.lastIndexOf('/'));
          if (parent) expect(list.slice(0, i).map((o) => o.path)).toContain(parent);
          const below = list.map((o, j) => (o.path.startsWith(`${org.path}/`) ? j : -1)).filter((j) => j >= 0);
          expect(below).toEqual(below.map((_, k) => i + 1 + k));
        });
        return list;
      };
      const byId = (list: Org[]) => [...list].sort((a, b) => a.id - b.id);

      it("lists the organisations each caller's learners sit in and every one above them, a parent before its children", async () => {
        const everyone = expectedFor(await learnersOf('select user_id from gold.dim_user'), () => true);
        expect(byId(await listed('acmeAdmin'))).toEqual(byId(everyone));
        const reports = expectedFor(await learnersOf(reportsSql("'direct', 'indirect'"), [managerUserId]), (o) => o.learners > 0);
        // An organisation above the manager's reports with none of them in it is listed, with 0 learners.
        expect(reports.some((o) => o.learners === 0)).toBe(true);
        expect(byId(await listed('manager'))).toEqual(byId(reports));
        const granted = expectedFor(await learnersOf(grantedSql, [grantedOrganisationId]), under(await pathsOf([grantedOrganisationId])));
        expect(byId(await listed('viewer'))).toEqual(byId(granted));
        expect(await listed('nogrant')).toEqual([]);
        // Another tenant's admin lists their own hierarchy, none of it from this one's.
        expect((await listed('globexAdmin')).length).toBeGreaterThan(0);
      });

      it('a viewer granted a department may choose it and what is below it, and sees the company above it only as its heading', async () => {
        // A department two levels down with learners below it, granted by the org admin as on the Users page.
        const [department] = await sql<{ organisation_id: number; path: string }>(
          acme,
          `select g.organisation_id, g.path from gold.dim_organisation g join gold.dim_organisation o on o.path = g.path or o.path like g.path || '/%'
           join gold.dim_user u on u.organisation_key = o.organisation_key
           where g.organisation_key > 0 and g.depth = 2 and u.user_key <> -1
           group by g.organisation_id, g.path having count(distinct o.organisation_key) > 1 order by count(distinct u.user_key) desc, g.organisation_id limit 1`,
        );
        const departmentId = Number(department!.organisation_id);
        await new UserService(prisma).create({ email: 'department-viewer@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
        const members = await graphql<{ users: { membershipId: string; email: string }[] }>(app, '{ users { membershipId email } }', as('acmeAdmin'));
        const membershipId = members.body.data!.users.find((u) => u.email === 'department-viewer@acme.test')!.membershipId;
        const granting = await graphql(app, `mutation { grantViewerOrganisations(membershipId: ${JSON.stringify(membershipId)}, organisationIds: [${departmentId}]) { organisationIds } }`, as('acmeAdmin'));
        expect(granting.body.errors).toBeUndefined();
        tokens.departmentViewer = await login('department-viewer@acme.test');

        const list = await listed('departmentViewer');
        expect(byId(list)).toEqual(byId(expectedFor(await learnersOf(grantedSql, [departmentId]), under([department!.path]))));
        // The company above the department is there, so the tree reads, and cannot be chosen.
        const top = list.find((o) => o.depth === 1)!;
        expect(department!.path.startsWith(`${top.path}/`)).toBe(true);
        expect(top).toMatchObject({ selectable: false, learners: 0 });
        expect(list.filter((o) => o.selectable).map((o) => o.id)).toContain(departmentId);
        expect(list.filter((o) => !o.selectable).every((o) => department!.path.startsWith(`${o.path}/`))).toBe(true);
        // The org admin, granting, may still choose any organisation of the tenant.
        expect((await listed('acmeAdmin')).every((o) => o.selectable)).toBe(true);
      });

      it('a manager may choose the organisations their reports sit in and those above some of them, and sees those above all of them only as headings; direct reports narrow both', async () => {
        for (const [reach, relationships] of [['all', "'direct', 'indirect'"], ['direct', "'direct'"]] as const) {
          const reports = await learnersOf(reportsSql(relationships), [managerUserId]);
          const pathOf = new Map(reports.all.map((r) => [Number(r.organisation_id), r.path]));
          const team = [...reports.own.values()].reduce((sum, n) => sum + n, 0);
          // The manager's reports in the organisation or below it.
          const below = (org: { path: string }) =>
            [...reports.own].filter(([id]) => under([org.path])({ path: pathOf.get(id)! })).reduce((sum, [, n]) => sum + n, 0);
          const expected = expectedFor(reports, (o) => o.learners > 0 || (below(o) > 0 && below(o) < team));
          expect(expected.some((o) => !o.selectable)).toBe(true);
          expect(byId(await listed('manager', reach))).toEqual(byId(expected));
        }
      });
    });

    it('a user of one tenant gets nothing of another, whatever ids or names they send', async () => {
      const acmeIds = new Set(ids(await sql<{ user_id: number }>(acme, 'select user_id from gold.dim_user')));
      const globexOnly = (await sql<{ user_id: number }>(globex, 'select user_id from gold.dim_user where user_key <> -1 order by user_id')).find((r) => !acmeIds.has(Number(r.user_id)));
      expect(globexOnly).toBeDefined();
      const byId = await answer('acmeAdmin', {
        measures: ['Learner.count'],
        dimensions: ['Learner.userId'],
        filters: [{ member: 'Learner.userId', operator: 'equals', values: [Number(globexOnly!.user_id)] }],
      });
      expect(byId.rows).toEqual([]);
      // A learner's name as the model gives it (dim_user's label: the username beside it where a namesake exists).
      const acmeNames = new Set((await sql<{ full_name: string }>(acme, 'select label as full_name from gold.dim_user')).map((r) => r.full_name));
      const globexName = (await sql<{ full_name: string }>(globex, 'select label as full_name from gold.dim_user where user_key <> -1')).find((r) => !acmeNames.has(r.full_name));
      const byName = await answer('acmeAdmin', {
        measures: ['Learner.count'],
        filters: [{ member: 'Learner.fullName', operator: 'equals', values: [globexName!.full_name] }],
      });
      expect(byName.rows).toEqual([{ 'Learner.count': 0 }]);
      const drill = await graphql<{ drill: Result }>(app, 'query ($q: AnalyticsQueryInput!, $cell: JSON!) { drill(query: $q, cell: $cell) { rows } }', as('acmeAdmin'), {
        q: { measures: ['Learner.count'], dimensions: ['Learner.userId'] },
        cell: { 'Learner.userId': Number(globexOnly!.user_id) },
      });
      expect(drill.body.data!.drill.rows).toEqual([]);
      // Each admin's totals are their own tenant's.
      for (const [who, tenant] of [['acmeAdmin', acme], ['globexAdmin', globex]] as const) {
        const [expected] = await sql<{ n: number }>(tenant, 'select count(*) as n from gold.dim_user where user_key <> -1');
        expect((await answer(who, { measures: ['Learner.count'] })).rows).toEqual([{ 'Learner.count': Number(expected!.n) }]);
      }
    });
  });

  describe('who may ask', () => {
    it('refuses a forged token, an expired one, Kineo ops, and a suspended tenant', async () => {
      const query = '{ analytics(query: { measures: ["Learner.count"] }) { rows } }';
      const forged = await graphql(app, query, { authorization: `Bearer ${tokens.acmeAdmin!.slice(0, -4)}AAAA` });
      expect(forged.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);

      const settings = loadSettings(stack.env);
      const admin = await prisma.user.findUniqueOrThrow({ where: { email: 'admin@acme.test' } });
      const yesterday = new SessionTokens(() => loadJwtSecret(createSecretStore(settings)), 3600, () => new Date(Date.now() - 24 * 3600 * 1000));
      const expired = await yesterday.issue({ userId: admin.id, tenantId: acme.id, role: 'org_admin' });
      const late = await graphql(app, query, { authorization: `Bearer ${expired.token}` });
      expect(late.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);

      const ops = await graphql(app, query, as('ops'));
      expect(ops.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })]);

      await prisma.tenant.update({ where: { id: acme.id }, data: { status: 'suspended' } });
      try {
        const suspended = await graphql(app, query, as('acmeAdmin'));
        expect(suspended.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'TENANT_SUSPENDED' } })]);
        const exported = await app.inject({ method: 'POST', url: '/exports', headers: as('acmeAdmin'), payload: { format: 'csv', query: { measures: ['Learner.count'] } } });
        expect(exported.statusCode).toBe(403);
      } finally {
        await prisma.tenant.update({ where: { id: acme.id }, data: { status: 'active' } });
      }
    });

    it("checks a session that passed before on every request: a dashboard follows a role changed in Postgres, and is refused once the tenant is suspended or the session revoked", async () => {
      // A dashboard's cache reads are sent while the session is checked, on the role it last passed with (org admin here).
      await new UserService(prisma).create({ email: 'switch@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'org_admin' }, actor: 'test' });
      tokens.switch = await login('switch@acme.test');
      const [everyone] = await sql<{ n: number }>(acme, 'select count(*) as n from gold.dim_user where user_key <> -1 and is_active');
      const [reports] = await sql<{ n: number }>(
        acme,
        `select count(*) as n from gold.dim_manager_relationship r join gold.dim_user m on m.user_key = r.manager_user_key
         join gold.dim_user u on u.user_key = r.user_key where m.user_id = ? and r.relationship in ('direct', 'indirect') and u.is_active`,
        [managerUserId],
      );
      expect(Number(reports!.n)).toBeLessThan(Number(everyone!.n));
      for (let i = 0; i < 2; i++) expect((await dashboard('switch', 'my-team')).tiles.reports!.result.total).toBe(Number(everyone!.n));

      // Made a manager straight in Postgres: the org admin's answers are cached, and not one of them is served.
      await prisma.membership.updateMany({ where: { tenantId: acme.id, user: { email: 'switch@acme.test' } }, data: { role: 'manager', lmsUserId: managerUserId } });
      const team = await dashboard('switch', 'my-team');
      expect(team.tiles.summary!.result.rows[0]).toMatchObject({ 'Learner.count': Number(reports!.n) });
      expect(team.tiles.reports!.result.total).toBe(Number(reports!.n));

      const refused = async () => {
        const reply = await graphql<{ dashboard: unknown }>(app, '{ dashboard(id: "my-team") { tiles { result { rows } } } }', as('switch'));
        return { data: reply.body.data ?? null, codes: (reply.body.errors ?? []).map((e) => (e as { extensions?: { code?: string } }).extensions?.code) };
      };
      await prisma.tenant.update({ where: { id: acme.id }, data: { status: 'suspended' } });
      try {
        expect(await refused()).toEqual({ data: null, codes: ['TENANT_SUSPENDED'] });
      } finally {
        await prisma.tenant.update({ where: { id: acme.id }, data: { status: 'active' } });
      }
      expect((await dashboard('switch', 'my-team')).tiles.reports!.result.total).toBe(Number(reports!.n));
      await prisma.session.updateMany({ where: { user: { email: 'switch@acme.test' } }, data: { revokedAt: new Date() } });
      expect(await refused()).toEqual({ data: null, codes: ['UNAUTHENTICATED'] });
    });

    it('keeps dashboards to their roles', async () => {
      const reply = await graphql(app, '{ dashboard(id: "my-team") { id } }', as('viewer'));
      expect(reply.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })]);
    });
  });

  describe('answers', () => {
    it('carry their data version and as-of, come from the cache the second time, under a key naming tenant and version', async () => {
      const query = { measures: ['CourseProgress.count'], dimensions: ['CourseProgress.courseType'] };
      const first = await answer('manager', query);
      const second = await answer('manager', query);
      // A manager's reports are a set of learners: their answers always come from the facts.
      expect(first).toMatchObject({ dataVersion: acmeVersion, asOf: AS_OF.toISOString(), cached: false, rollup: null });
      expect(second).toEqual({ ...first, cached: true });
      const keys = await app.get<Redis>(REDIS).keys(`q:${acme.id}:v${acmeVersion}:*`);
      expect(keys.length).toBeGreaterThan(0);
    });

    it('come from the cache exactly as stored, whether written as header and rows or in the earlier one-object layout', async () => {
      const query = { measures: ['Learner.count'], dimensions: ['Learner.country'], limit: 777 };
      const scope = { kind: 'tenant' } as const;
      const key = resultCacheKey(answerKeyParts(acme.id, acmeVersion, scope, queryIdentity(validateQuery(query), scope), app.get<Warehouse>(WAREHOUSE).dialect));
      const redis = app.get<Redis>(REDIS);
      const computed = await answer('acmeAdmin', query);
      // A row's text that looks like the reply's placeholders stays text: only the request's own fragments are spliced.
      const rows = [{ 'Learner.country': 'kineo-json-fragment:0000:0', 'Learner.count': 3 }, { 'Learner.country': 'line\nbreak "quoted"', 'Learner.count': 2 }];
      await redis.set(key, JSON.stringify({ columns: [], rows }), 'EX', 60);
      const legacy = await answer('acmeAdmin', query);
      expect(legacy).toMatchObject({ cached: true, rows });
      await redis.set(key, `${JSON.stringify({ columns: [] })}\n${JSON.stringify(computed.rows)}`, 'EX', 60);
      expect(await answer('acmeAdmin', query)).toMatchObject({ cached: true, rows: computed.rows });
      await redis.del(key);
    });

    it("were pre-warmed for the tenant's dashboards on publish", async () => {
      // Pre-warming runs after the publish message, beside the requests; wait until its entries are all there.
      const prewarmed = DASHBOARDS.filter((d) => d.roles.includes('org_admin')).reduce((n, d) => n + d.tiles.length, 0);
      const version = (await prisma.tenant.findUniqueOrThrow({ where: { id: globex.id } })).dataVersion;
      const redis = app.get<Redis>(REDIS);
      for (let i = 0; (await redis.keys(`q:${globex.id}:v${version}:*`)).length < prewarmed; i++) {
        if (i > 600) throw new Error('the dashboards were not pre-warmed');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const board = await dashboard('globexAdmin', 'program-progress');
      expect(Object.values(board.tiles).every((t) => t.result.cached)).toBe(true);
    });

    it('move to a new version once it is published, never reading the old version\'s cache', async () => {
      const query = { measures: ['CourseProgress.count', 'CourseProgress.completed'] };
      const before = await answer('globexAdmin', query);
      await answer('globexAdmin', query);
      const reload = await loadGeneratedExport(app, prisma, { token: tokens.globexAdmin!, dir: path.join(stack.dir, 'exports', 'globex-2'), users: 120, seed: 23, asOf: NEXT_AS_OF });
      expect(reload.dataVersion).toBe(before.dataVersion + 1);
      const after = await answer('globexAdmin', query);
      const [expected] = await sql<{ n: number; done: number }>(
        globex,
        "select count(*) as n, count(case when status in ('complete', 'complete_rpl') then 1 end) as done from gold.fact_course_progress",
      );
      expect(after).toMatchObject({ dataVersion: reload.dataVersion, asOf: NEXT_AS_OF.toISOString() });
      expect(after.rows).toEqual([{ 'CourseProgress.count': Number(expected!.n), 'CourseProgress.completed': Number(expected!.done) }]);
      expect(after.rows).not.toEqual(before.rows);
    });

    it('mark the period of a time series the as-of falls inside, the one whose figures are incomplete', async () => {
      // As of 30 June 2025 at midnight the data runs through 29 June: June, the second quarter and 2025
      // (acme's fiscal year is the calendar year) hold part of their days; 29 June is a Sunday, so its week is whole.
      const series = (granularity: string) => ({ measures: ['CourseProgress.completed'], timeDimension: { dimension: 'CourseProgress.completedDate', granularity } });
      const through = '2025-06-29';
      const month = await answer('acmeAdmin', series('month'));
      expect(month.partialPeriod).toEqual({ column: 'CourseProgress.completedDate.month', value: '2025-06-01', through, reason: 'asOf' });
      // The mark names a row of the series as the rows carry it.
      expect(month.rows.map((r) => r['CourseProgress.completedDate.month'])).toContain('2025-06-01');
      expect((await answer('acmeAdmin', series('month'))).partialPeriod).toEqual(month.partialPeriod);
      expect((await answer('acmeAdmin', series('quarter'))).partialPeriod).toEqual({ column: 'CourseProgress.completedDate.quarter', value: '2025-04-01', through, reason: 'asOf' });
      expect((await answer('acmeAdmin', series('fiscalYear'))).partialPeriod).toEqual({ column: 'CourseProgress.completedDate.fiscalYear', value: 2025, through, reason: 'asOf' });
      expect((await answer('acmeAdmin', series('week'))).partialPeriod).toBeNull();
      expect((await answer('acmeAdmin', series('day'))).partialPeriod).toBeNull();
      expect((await answer('acmeAdmin', { measures: ['CourseProgress.completed'] })).partialPeriod).toBeNull();
      // A manager's series (from the facts, not a rollup) and the dashboard's chart carry it too.
      expect((await answer('manager', series('month'))).partialPeriod).toEqual(month.partialPeriod);
      const board = await dashboard('acmeAdmin', 'learning-activity');
      expect(board.tiles['hours-by-month']!.result.partialPeriod).toEqual({ column: 'LearningTime.date.month', value: '2025-06-01', through, reason: 'asOf' });
      expect(board.tiles['scorm-summary']!.result.partialPeriod).toBeNull();
      expect(month.partialStart).toBeNull();
    });

    it('mark the months a chosen period starts and ends inside: "Activity on" from 8 December to 15 June', async () => {
      const range = [{ member: 'LearningTime.date', operator: 'inDateRange', values: ['2024-12-08', '2025-06-15'] }];
      const board = await dashboard('acmeAdmin', 'learning-activity', range);
      const result = board.tiles['hours-by-month']!.result;
      expect(result.partialStart).toEqual({ column: 'LearningTime.date.month', value: '2024-12-01', from: '2024-12-08' });
      expect(result.partialPeriod).toEqual({ column: 'LearningTime.date.month', value: '2025-06-01', through: '2025-06-15', reason: 'range' });
      // Both are rows of the chart: its first month, December from the 8th, and its last, June to the 15th.
      const months = result.rows.map((r) => r['LearningTime.date.month']);
      expect(months[0]).toBe('2024-12-01');
      expect(months[months.length - 1]).toBe('2025-06-01');
      // A range of whole months marks neither end.
      const whole = await dashboard('acmeAdmin', 'learning-activity', [{ member: 'LearningTime.date', operator: 'inDateRange', values: ['2024-12-01', '2025-05-31'] }]);
      expect(whole.tiles['hours-by-month']!.result).toMatchObject({ partialStart: null, partialPeriod: null });
      // An export of the tile says so in its headers and its About sheet.
      const exported = await app.inject({ method: 'POST', url: '/exports', headers: as('acmeAdmin'), payload: { format: 'csv', dashboardId: 'learning-activity', tileId: 'hours-by-month', filters: range } });
      expect(exported.statusCode).toBe(200);
      expect(exported.headers['x-kineo-partial-start']).toBe('column=LearningTime.date.month;value=2024-12-01;from=2024-12-08');
      expect(exported.headers['x-kineo-partial-period']).toBe('column=LearningTime.date.month;value=2025-06-01;through=2025-06-15');
    });

    it('explain what is wrong with a query the model cannot answer', async () => {
      const reply = await analytics('acmeAdmin', { measures: ['CourseProgress.nope'] });
      expect(reply.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'INVALID_QUERY' }, message: expect.stringContaining('CourseProgress.nope') })]);
      // A dashboard filter the model refuses only when compiling each tile is the request's fault, not each tile's.
      const filtered = await graphql(app, '{ dashboard(id: "course-completion", filters: [{ member: "Learner.isActive", operator: equals, values: ["maybe"] }]) { tiles { id error { code } } } }', as('acmeAdmin'));
      expect(filtered.body.data).toBeNull();
      expect(filtered.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'INVALID_QUERY' }, message: expect.stringContaining('"maybe" is not true or false') })]);
    });

    it('page a drill list with a cursor, the pages together being every row behind the cell', async () => {
      const query = { measures: ['CourseProgress.count'], dimensions: ['CourseProgress.courseType'] };
      const top = (await answer('manager', query)).rows[0]!;
      const cell = { 'CourseProgress.courseType': top['CourseProgress.courseType'] };
      const rows: unknown[] = [];
      const totals: (number | null)[] = [];
      let after: string | null = null;
      do {
        const page: GraphqlReply<{ drill: Result & { nextCursor: string | null; total: number | null } }> = await graphql(
          app,
          'query ($q: AnalyticsQueryInput!, $cell: JSON!, $after: String) { drill(query: $q, cell: $cell, pageSize: 7, after: $after) { rows nextCursor total dataVersion } }',
          as('manager'),
          { q: query, cell, after },
        );
        expect(page.body.errors).toBeUndefined();
        rows.push(...page.body.data!.drill.rows);
        totals.push(page.body.data!.drill.total);
        after = page.body.data!.drill.nextCursor;
      } while (after);
      expect(rows).toHaveLength(Number(top['CourseProgress.count']));
      expect(totals.length).toBeGreaterThan(1);
      // The first page says how long the whole list is (what "Showing 7 of N" is built on); later pages do not count again.
      expect(totals).toEqual([rows.length, ...totals.slice(1).map(() => null)]);
      const whole = await graphql<{ drill: Result & { nextCursor: string | null; total: number | null } }>(
        app,
        'query ($q: AnalyticsQueryInput!, $cell: JSON!) { drill(query: $q, cell: $cell, pageSize: 5000) { rows nextCursor total } }',
        as('manager'),
        { q: query, cell },
      );
      expect(whole.body.data!.drill).toMatchObject({ nextCursor: null, total: rows.length });
      // Every page follows the list's declared order: the learner's name (nulls as ''), one total order.
      const names = (rows as Record<string, string | null>[]).map((r) => r['Learner.fullName'] ?? '');
      expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    });

    it('meta lists the cubes and the dashboards of the caller\'s role', async () => {
      const reply = await graphql<{
        meta: {
          cubes: { name: string; measures: { name: string }[]; dimensions: { name: string; values: { value: string; label: string }[] | null }[]; rollups: { name: string; dimensions: string[] }[] }[];
          dashboards: { id: string }[];
        };
      }>(
        app,
        '{ meta { cubes { name measures { name } dimensions { name values { value label } } rollups { name dimensions timeDimension granularity } } dashboards { id } } }',
        as('viewer'),
      );
      expect(reply.body.errors).toBeUndefined();
      const course = reply.body.data!.meta.cubes.find((c) => c.name === 'CourseProgress')!;
      expect(course.rollups).toContainEqual(expect.objectContaining({ name: 'CourseProgress.byOrganisation', dimensions: expect.arrayContaining(['Learner.organisationId']) }));
      expect(reply.body.data!.meta.cubes.map((c) => c.name)).toEqual(expect.arrayContaining(['Learner', 'CourseProgress', 'Certification', 'ProgramProgress']));
      expect(reply.body.data!.meta.dashboards.map((d) => d.id)).not.toContain('my-team');
      const status = course.dimensions.find((d) => d.name === 'CourseProgress.status')!;
      expect(status.values?.find((v) => v.value === 'in_progress')?.label).toBe('In progress');
    });
  });

  /** A tenant published by hand from copies of acme's gold (changed as a test needs). */
  let initech: Tenant;
  let publishAcmeCopy: (version: number, change?: (c: DuckDBConnection) => Promise<void>) => Promise<void>;

  it("answers a figure whose gold columns an earlier release's build lacks with NEEDS_NEXT_BUILD in its tile, and a tile the warehouse fails on with INTERNAL, while the dashboard's other tiles and the tenant's other dashboards answer", async () => {
    // What a release before year_end_basis published, for one history fact: acme's gold with
    // fact_program_history lacking the column, and the history rollups from another definition
    // (never read), as initech's version 1. Its SCORM time is text, so the statements summing it
    // fail for a reason that is the service's own (all its columns are there).
    initech = await new TenantService(prisma).create({ slug: 'initech', name: 'Initech', actor: 'test' });
    await queues.enqueue(provisionTenantJob, { tenantId: initech.id, requestedBy: 'test' });
    for (let i = 0; (await prisma.tenant.findUniqueOrThrow({ where: { id: initech.id } })).status !== 'active'; i++) {
      if (i > 600) throw new Error('initech was not provisioned');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const root = path.join(stack.env.KINEO_DATA_DIR, 'warehouse');
    publishAcmeCopy = async (version: number, change?: (c: DuckDBConnection) => Promise<void>) => {
      const snapshot = path.join(root, initech.namespace, 'gold', `v${version}.duckdb`);
      fs.mkdirSync(path.dirname(snapshot), { recursive: true });
      fs.copyFileSync(path.join(root, acme.namespace, 'gold', `v${acmeVersion}.duckdb`), snapshot);
      if (change) {
        const db = await DuckDBInstance.create(snapshot);
        const c = await db.connect();
        await change(c);
        c.closeSync();
        db.closeSync();
      }
      await warehouse.publish({ tenantId: initech.id, namespace: initech.namespace }, version);
      await prisma.buildRun.create({ data: { tenantId: initech.id, kind: 'build', status: 'succeeded', dataVersion: version, asOf: AS_OF } });
      await prisma.tenant.update({ where: { id: initech.id }, data: { dataVersion: version } });
    };
    await publishAcmeCopy(1, async (c) => {
      await c.run('alter table gold.fact_program_history drop column year_end_basis');
      await c.run("update gold.rollup_manifest set signature = 'older-release' where table_name like 'rollup_%history%'");
      await c.run('alter table gold.fact_scorm alter column total_seconds type varchar');
      await c.run("update gold.rollup_manifest set signature = 'older-release' where rollup_name like 'Scorm.%'");
    });
    await new UserService(prisma).create({ email: 'admin@initech.test', password: PASSWORD, grant: { tenantSlug: 'initech', role: 'org_admin' }, actor: 'test' });
    tokens.initechAdmin = await login('admin@initech.test');

    interface Tile { id: string; query: object; result: Result | null; error: { code: string; message: string; retryAfterSeconds: number | null } | null }
    const history = async (who: string) => {
      const reply = await graphql<{ dashboard: { dataVersion: number; tiles: Tile[] } }>(
        app,
        `{ dashboard(id: "fiscal-year-history") { dataVersion tiles { id query error { code message retryAfterSeconds } result { ${RESULT} } } } }`,
        as(who),
      );
      // One tile failing is no error of the request.
      expect(reply.body.errors).toBeUndefined();
      return { ...reply.body.data!.dashboard, tiles: Object.fromEntries(reply.body.data!.dashboard.tiles.map((t) => [t.id, t])) };
    };
    // The same gold, so the same figures; initech's read the facts, acme's the rollups, so rates to 12 digits.
    const figures = (tile: Pick<Tile, 'result'>) => tile.result!.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(12)) : v])));
    const acmeHistory = await history('acmeAdmin');
    const errorsCounted = async () => Number(/^analytics_warehouse_query_duration_seconds_count\{outcome="error"\} (\d+)$/m.exec((await app.inject({ method: 'GET', url: '/metrics' })).body)?.[1] ?? 0);

    // Pre-warming on publish answers every other tile into the cache; the failing ones are skipped, not stored.
    const orgAdminDashboards = DASHBOARDS.filter((d) => d.roles.includes('org_admin'));
    const warmed = await app.get(AnalyticsService).prewarm(initech.id, { version: 1, asOf: AS_OF.toISOString() });
    const failed: string[] = [];
    for (const d of orgAdminDashboards) {
      const reply = await graphql<{ dashboard: { tiles: { id: string; error: { code: string } | null }[] } }>(app, `{ dashboard(id: "${d.id}") { tiles { id error { code } } } }`, as('initechAdmin'));
      expect(reply.body.errors).toBeUndefined();
      failed.push(...reply.body.data!.dashboard.tiles.filter((t) => t.error).map((t) => `${d.id}/${t.id} ${t.error!.code}`));
    }
    expect(failed.sort()).toEqual(['fiscal-year-history/programs NEEDS_NEXT_BUILD', 'learning-activity/scorm-by-package INTERNAL', 'learning-activity/scorm-summary INTERNAL']);
    expect(warmed).toBe(orgAdminDashboards.reduce((n, d) => n + d.tiles.length, 0) - failed.length);

    // A failure of the service's own: the tile says only that, with the request id, and the log has the cause.
    const activity = await graphql<{ dashboard: { tiles: Tile[] } }>(
      app,
      `{ dashboard(id: "learning-activity") { tiles { id query error { code message retryAfterSeconds } result { ${RESULT} } } } }`,
      as('initechAdmin'),
    );
    expect(activity.body.errors).toBeUndefined();
    const requestId = String(activity.headers['x-request-id']);
    const scorm = activity.body.data!.dashboard.tiles.find((t) => t.id === 'scorm-summary')!;
    expect(scorm).toMatchObject({ result: null, error: { code: 'INTERNAL', message: `Internal error. Quote request id ${requestId} when reporting it.`, retryAfterSeconds: null } });
    const acmeActivity = await dashboard('acmeAdmin', 'learning-activity');
    for (const id of ['seminar-summary', 'hours-by-source', 'seminars']) {
      expect(figures(activity.body.data!.dashboard.tiles.find((t) => t.id === id)!)).toEqual(figures(acmeActivity.tiles[id]!));
    }
    const logged = logs.lines.find((line) => line.reqId === requestId && String(line.msg).startsWith('Dashboard tile scorm-summary failed'));
    expect(logged).toMatchObject({ level: 'error', path: 'dashboard.tiles.scorm-summary' });
    expect(JSON.stringify(logged)).toMatch(/sum|total_seconds|VARCHAR/i);

    const before = await errorsCounted();
    const broken = await history('initechAdmin');
    expect(broken.dataVersion).toBe(1);
    expect(broken.tiles.programs).toMatchObject({
      result: null,
      error: { code: 'NEEDS_NEXT_BUILD', message: expect.stringContaining("needs the organisation's next build (queued)"), retryAfterSeconds: null },
    });
    for (const id of ['courses', 'certifications', 'certification-courses']) {
      expect(broken.tiles[id]!.error).toBeNull();
      expect(broken.tiles[id]!.result).toMatchObject({ dataVersion: 1, asOf: AS_OF.toISOString(), cached: true });
      expect(figures(broken.tiles[id]!)).toEqual(figures(acmeHistory.tiles[id]!));
      expect(broken.tiles[id]!.result!.rows.length).toBeGreaterThan(0);
    }
    // Only answers are cached: the failing tile's key holds nothing, so each request asks the warehouse again.
    const scope = { kind: 'tenant' } as const;
    const keyOf = (tile: Tile) => resultCacheKey(answerKeyParts(initech.id, 1, scope, queryIdentity(validateQuery(tile.query), scope), warehouse.dialect));
    const redis = app.get<Redis>(REDIS);
    expect(await redis.exists(keyOf(broken.tiles.courses!))).toBe(1);
    expect(await redis.exists(keyOf(broken.tiles.programs!))).toBe(0);
    const again = await history('initechAdmin');
    expect(again.tiles.programs!.error!.code).toBe('NEEDS_NEXT_BUILD');
    expect(await errorsCounted()).toBe(before + 2);

    const rate = await analytics('initechAdmin', { measures: ['ProgramHistory.overdueRate'], dimensions: ['ProgramHistory.fiscalYear'] });
    expect(rate.body.errors![0].extensions).toMatchObject({ code: 'NEEDS_NEXT_BUILD' });
    // A history figure that does not read the column answers.
    const counts = await answer('initechAdmin', { measures: ['ProgramHistory.completed'], dimensions: ['ProgramHistory.fiscalYear'] });
    expect(counts.rows.length).toBeGreaterThan(0);
    // Everything else reads what the version has.
    const completion = await dashboard('initechAdmin', 'course-completion');
    expect(completion.dataVersion).toBe(1);
    expect(Number(completion.tiles.summary.result.rows[0]['CourseProgress.count'])).toBeGreaterThan(0);
    expect((await dashboard('initechAdmin', 'certification-compliance')).dataVersion).toBe(1);

    // An export of the figure says the same, whether asked as the tile or as its query (not an internal error).
    for (const body of [
      { format: 'csv', dashboardId: 'fiscal-year-history', tileId: 'programs' },
      { format: 'xlsx', query: { measures: ['ProgramHistory.overdueRate'], dimensions: ['ProgramHistory.fiscalYear'] } },
    ]) {
      const exported = await app.inject({ method: 'POST', url: '/exports', headers: as('initechAdmin'), payload: body });
      expect(exported.statusCode).toBe(409);
      expect(exported.json()).toMatchObject({ code: 'NEEDS_NEXT_BUILD', message: expect.stringContaining("needs the organisation's next build (queued)") });
    }

    // The rebuild publishes version 2 with the column: the tile answers, equal to acme's.
    await publishAcmeCopy(2);
    const rebuilt = await history('initechAdmin');
    expect(rebuilt.dataVersion).toBe(2);
    expect(Object.values(rebuilt.tiles).map((t) => t.error)).toEqual([null, null, null, null]);
    expect(figures(rebuilt.tiles.programs!)).toEqual(figures(acmeHistory.tiles.programs!));
  });

  it('answers a tile over the time limit with QUERY_TIMEOUT while the other tiles answer', async () => {
    // Version 3: seminar signups become a view that never finishes (each row joined to a trillion),
    // and the seminar rollups another definition's, so the seminar tiles read it.
    await publishAcmeCopy(3, async (c) => {
      await c.run('alter table gold.fact_seminar_signup rename to fact_seminar_signup_rows');
      await c.run('create view gold.fact_seminar_signup as select s.* from gold.fact_seminar_signup_rows s, range(1000000000000) r');
      await c.run("update gold.rollup_manifest set signature = 'older-release' where rollup_name like 'SeminarSignup.%'");
    });
    // The other tiles are answered into the cache first (an analytics query is cached under its
    // tile's key), so on the gateway with a 0.1 s limit they never meet the warehouse, and only the
    // seminar tiles, which cannot finish, meet the limit: nothing here depends on how fast anything runs.
    const tiles = dashboardQueries('learning-activity', []);
    const seminar = (query: { measures: string[] }) => query.measures.some((m) => m.startsWith('SeminarSignup.'));
    for (const { run } of tiles.filter((t) => !seminar(t.query))) await answer('initechAdmin', run);
    const limited = await startGateway(stack, { ANALYTICS_QUERY_TIMEOUT_MS: '100' });
    try {
      const reply = await graphql<{ dashboard: { dataVersion: number; tiles: { id: string; error: { code: string; message: string } | null; result: Result | null }[] } }>(
        limited,
        `{ dashboard(id: "learning-activity") { dataVersion tiles { id error { code message } result { ${RESULT} } } } }`,
        as('initechAdmin'),
      );
      expect(reply.body.errors).toBeUndefined();
      expect(reply.body.data!.dashboard.dataVersion).toBe(3);
      for (const { tile, query } of tiles) {
        const answered = reply.body.data!.dashboard.tiles.find((t) => t.id === tile.id)!;
        if (seminar(query)) {
          expect(answered).toMatchObject({
            result: null,
            error: { code: 'QUERY_TIMEOUT', message: 'The query ran longer than 0.1 s, the limit for one query, and was stopped. Narrow it with filters or a shorter date range, or export it instead.' },
          });
        } else {
          expect(answered).toMatchObject({ error: null, result: { cached: true, dataVersion: 3 } });
        }
      }
      expect(tiles.filter((t) => seminar(t.query)).length).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it("answers a manager's figure NEEDS_NEXT_BUILD when only their scope reads a gold column the version lacks, while the org admin's same figure answers", async () => {
    // Version 4: the manager hierarchy without `relationship`, which only a manager's scope reads.
    await publishAcmeCopy(4, async (c) => {
      await c.run('alter table gold.dim_manager_relationship drop column relationship');
    });
    await new UserService(prisma).create({ email: 'manager@initech.test', password: PASSWORD, grant: { tenantSlug: 'initech', role: 'manager', lmsUserId: managerUserId }, actor: 'test' });
    tokens.initechManager = await login('manager@initech.test');
    const query = { measures: ['CourseProgress.count'], dimensions: ['CourseProgress.status'] };
    expect((await answer('initechAdmin', query)).rows.length).toBeGreaterThan(0);
    const managers = await analytics('initechManager', query);
    expect(managers.body.errors![0].extensions).toMatchObject({ code: 'NEEDS_NEXT_BUILD' });
    const exported = await app.inject({ method: 'POST', url: '/exports', headers: as('initechManager'), payload: { format: 'csv', query } });
    expect(exported.statusCode).toBe(409);
    expect(exported.json()).toMatchObject({ code: 'NEEDS_NEXT_BUILD' });
    // The rebuild's version has the column: the manager's figure equals the same manager's on acme (the same gold).
    await publishAcmeCopy(5);
    const byStatus = (rows: Row[]) => [...rows].sort((a, b) => String(a['CourseProgress.status']).localeCompare(String(b['CourseProgress.status'])));
    expect(byStatus((await answer('initechManager', query)).rows)).toEqual(byStatus((await answer('manager', query)).rows));
  });

  describe('exports', () => {
    const exportOf = (who: string, body: object) => app.inject({ method: 'POST', url: '/exports', headers: as(who), payload: body });

    it('a CSV export has the same rows as the query, in the same scope, and is audited', async () => {
      const query = { measures: ['Learner.count'], dimensions: ['Learner.userId', 'Learner.fullName'], order: [{ member: 'Learner.userId', direction: 'asc' }] };
      const expected = await answer('manager', query);
      const response = await exportOf('manager', { format: 'csv', query });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toMatch(/^attachment; filename="kineo-[a-z0-9-]+-v\d+\.csv"$/);
      const lines = response.body.trimEnd().split('\n');
      expect(lines).toHaveLength(expected.rows.length + 1);
      expect(lines.slice(1).map((line) => Number(line.split(',')[0]))).toEqual(expected.rows.map((r) => r['Learner.userId']));
      const audit = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: acme.id, action: 'analytics.exported' }, orderBy: { id: 'desc' } });
      expect(audit.details).toMatchObject({ format: 'csv', rows: expected.rows.length, completed: true, scope: { kind: 'manager', managerUserId, reach: 'all' } });
    });

    it('an export of a query with a limit has exactly the rows the query shows, not the whole table', async () => {
      const query = { measures: ['Learner.count'], dimensions: ['Learner.userId'], order: [{ member: 'Learner.userId', direction: 'desc' }], limit: 7 };
      const shown = await answer('acmeAdmin', query);
      const response = await exportOf('acmeAdmin', { format: 'csv', query });
      expect(response.statusCode).toBe(200);
      const lines = response.body.trimEnd().split('\n');
      expect(shown.rows).toHaveLength(7);
      expect(lines.slice(1).map((line) => Number(line.split(',')[0]))).toEqual(shown.rows.map((r) => r['Learner.userId']));
    });

    it('an XLSX export of a drill list has every row of its pages', async () => {
      const query = { measures: ['CourseProgress.count'], dimensions: ['CourseProgress.status'] };
      const top = (await answer('viewer', query)).rows[0]!;
      const response = await exportOf('viewer', { format: 'xlsx', drill: { query, cell: { 'CourseProgress.status': top['CourseProgress.status'] } } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
      expect(workbook.worksheets[0]!.actualRowCount).toBe(Number(top['CourseProgress.count']) + 1);
      // People read the XLSX: its status is the label the screens show; a CSV keeps the code for programs.
      const header = (workbook.worksheets[0]!.getRow(1).values as unknown[]).slice(1);
      const status = header.indexOf('Status') + 1;
      expect(status).toBeGreaterThan(0);
      const label = { not_started: 'Not started', in_progress: 'In progress', complete: 'Complete', complete_rpl: 'Complete by RPL', unknown: 'Unknown' }[
        top['CourseProgress.status'] as string
      ];
      expect(workbook.worksheets[0]!.getRow(2).getCell(status).value).toBe(label);
      const csv = await exportOf('viewer', { format: 'csv', drill: { query, cell: { 'CourseProgress.status': top['CourseProgress.status'] } } });
      expect(csv.body.split('\n')[1]!.split(',')[status - 1]).toBe(top['CourseProgress.status']);
    });

    /** The XLSX's sheets as rows of cell values (exceljs's row.values start at index 1). */
    async function workbookOf(response: { rawPayload: Buffer }) {
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
      const rowsOf = (sheet: ExcelJS.Worksheet) => {
        const rows: unknown[][] = [];
        sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
        return rows;
      };
      const about = workbook.getWorksheet('About this export');
      return { names: workbook.worksheets.map((w) => w.name), data: rowsOf(workbook.worksheets[0]!), about: about ? Object.fromEntries(rowsOf(about).map(([k, v]) => [k, v])) : undefined };
    }

    it('an export of a monthly series whose as-of falls inside its last month marks that month: a header, and in an XLSX a sentence on a second sheet beside unchanged rows', async () => {
      // As of 30 June 2025 at midnight the data runs through 29 June: June holds part of its days.
      const query = { measures: ['CourseProgress.completed', 'CourseProgress.count'], timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'month' } };
      const expected = await answer('acmeAdmin', query);
      expect(expected.rows.map((r) => r['CourseProgress.completedDate.month'])).toContain('2025-06-01');
      const header = 'column=CourseProgress.completedDate.month;value=2025-06-01;through=2025-06-29';

      const csv = await exportOf('acmeAdmin', { format: 'csv', query });
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['x-kineo-partial-period']).toBe(header);
      // The CSV stays data only: its header row, then the query's rows.
      const lines = csv.body.trimEnd().split('\n');
      expect(lines).toHaveLength(expected.rows.length + 1);
      expect(lines[0]!.split(',')).toHaveLength(expected.columns.length);
      expect(lines.slice(1)).toEqual(expected.rows.map((r) => expected.columns.map((c) => String((r[c.key] as string | number | null) ?? '')).join(',')));
      const audit = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: acme.id, action: 'analytics.exported' }, orderBy: { id: 'desc' } });
      expect(audit.details).toMatchObject({ format: 'csv', partialPeriod: { column: 'CourseProgress.completedDate.month', value: '2025-06-01', through: '2025-06-29', reason: 'asOf' } });

      const xlsx = await exportOf('acmeAdmin', { format: 'xlsx', query });
      expect(xlsx.statusCode).toBe(200);
      expect(xlsx.headers['x-kineo-partial-period']).toBe(header);
      const book = await workbookOf(xlsx);
      // The data sheet comes first and is what it was: a header row and the query's rows, each month
      // an Excel date of that day (so it sorts and filters as a date).
      expect(book.names).toEqual(['Export', 'About this export']);
      expect(expected.columns.map((c) => c.type)).toContain('date');
      expect(book.data.slice(1)).toEqual(expected.rows.map((r) => expected.columns.map((c) => (c.type === 'date' ? new Date(`${String(r[c.key])}T00:00:00.000Z`) : r[c.key]))));
      expect(book.about).toMatchObject({
        // What the file is, in the words of the screens.
        'Export of': 'Completed, Enrolments',
        'Data version': expected.dataVersion,
        'Data as of': expected.asOf,
        // Named as the portal titles them, with the names the API and the audit event use.
        Measures: 'Completed (CourseProgress.completed), Enrolments (CourseProgress.count)',
        'Time dimension': 'Completed (CourseProgress.completedDate) by month',
        Filters: 'none',
        Scope: expect.stringContaining('tenant'),
        Rows: expected.rows.length,
      });
      expect(book.about!['Incomplete period']).toMatch(/^Jun 2025: month to date, to 29 Jun, so its figures are not a whole month's \(the rows whose .+ is 2025-06-01\)\.$/);

      // The first three months only: the header still names the series' incomplete period (decided
      // before the rows), but no row of the file is of it, so the sheet has no sentence about it.
      // Filtered on coded statuses, which the sheet names by their labels.
      const firstMonths = {
        ...query,
        filters: [{ member: 'CourseProgress.status', operator: 'in', values: ['complete', 'complete_rpl'] }],
        order: [{ member: 'CourseProgress.completedDate.month', direction: 'asc' }],
        limit: 3,
      };
      const early = await exportOf('acmeAdmin', { format: 'xlsx', query: firstMonths });
      expect(early.headers['x-kineo-partial-period']).toBe(header);
      const earlyBook = await workbookOf(early);
      expect(earlyBook.data.slice(1).map((row) => (row[0] as Date).toISOString().slice(0, 10))).not.toContain('2025-06-01');
      expect(earlyBook.about).toMatchObject({
        Rows: 3,
        'Incomplete period': 'none',
        Filters: 'Status (CourseProgress.status) in "Complete" (complete), "Complete by RPL" (complete_rpl)',
      });
    });

    it("an XLSX's About sheet names the organisations of a subtree filter and of a viewer's grants, and a period by its days", async () => {
      // A child of the viewer's granted organisation: a part of what they see.
      const [granted] = await sql<{ name: string }>(acme, `select name from gold.dim_organisation where organisation_id = ${grantedOrganisationId}`);
      const [child] = await sql<{ organisation_id: number; name: string }>(
        acme,
        `select organisation_id, name from gold.dim_organisation where path like '%/${grantedOrganisationId}/%' and organisation_id <> ${grantedOrganisationId} order by organisation_id limit 1`,
      );
      const query = {
        measures: ['CourseProgress.count'],
        dimensions: ['CourseProgress.status'],
        filters: [
          { member: 'Learner.organisationTree', operator: 'contains', values: [`/${Number(child!.organisation_id)}/`] },
          { member: 'CourseProgress.enrolledDate', operator: 'inDateRange', values: ['2024-07-01', '2025-06-30'] },
        ],
      };
      const expected = await answer('viewer', query);
      const book = await workbookOf(await exportOf('viewer', { format: 'xlsx', query }));
      // The same rows (the XLSX writes each status by its label).
      expect(book.data.slice(1).map((row) => row[1])).toEqual(expected.rows.map((r) => r['CourseProgress.count']));
      expect(expected.rows.length).toBeGreaterThan(0);
      expect(book.about).toMatchObject({
        Filters: `Organisation subtree (Learner.organisationTree): ${JSON.stringify(child!.name)} (LMS organisation ${Number(child!.organisation_id)}) and everything under it; Enrolled (CourseProgress.enrolledDate) from 2024-07-01 to 2025-06-30`,
        Scope: `viewer: ${JSON.stringify(granted!.name)} (LMS organisation ${grantedOrganisationId}), each with everything under it`,
      });
    });

    it('an export without an incomplete period has no partial-period header and no sentence: no time dimension, a whole last week, a drill list', async () => {
      const byStatus = { measures: ['CourseProgress.count'], dimensions: ['CourseProgress.status'] };
      for (const format of ['csv', 'xlsx']) {
        const response = await exportOf('acmeAdmin', { format, query: byStatus });
        expect(response.statusCode).toBe(200);
        expect(response.headers['x-kineo-partial-period']).toBeUndefined();
      }
      const book = await workbookOf(await exportOf('acmeAdmin', { format: 'xlsx', query: byStatus }));
      expect(book.about).toMatchObject({ 'Incomplete period': 'none', 'Time dimension': 'none', Dimensions: 'Status (CourseProgress.status)' });
      // 29 June 2025 is a Sunday: the last week is whole.
      const weekly = await exportOf('acmeAdmin', { format: 'csv', query: { measures: ['CourseProgress.completed'], timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'week' } } });
      expect(weekly.statusCode).toBe(200);
      expect(weekly.headers['x-kineo-partial-period']).toBeUndefined();
      // A drill list into the incomplete month lists learners' rows, with no month column to mark.
      const monthly = { measures: ['CourseProgress.completed'], timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'month' } };
      const drill = await exportOf('acmeAdmin', { format: 'xlsx', drill: { query: monthly, cell: { 'CourseProgress.completedDate.month': '2025-06-01' } } });
      expect(drill.statusCode).toBe(200);
      expect(drill.headers['x-kineo-partial-period']).toBeUndefined();
      expect((await workbookOf(drill)).about).toMatchObject({
        'Incomplete period': 'none',
        'Export of': 'the learners behind Completed',
        'Learners behind': 'Completed (month) = "2025-06-01"',
      });
      // A dashboard tile's file says which dashboard and tile, as the portal titles them.
      const tileFile = await exportOf('acmeAdmin', { format: 'xlsx', dashboardId: 'course-completion', tileId: 'by-course' });
      expect(tileFile.statusCode).toBe(200);
      expect((await workbookOf(tileFile)).about).toMatchObject({
        'Export of': 'Course completion: Courses',
        'Dashboard tile': 'Course completion: Courses (course-completion / by-course)',
      });
    });

    it('refuses a request naming no source, with what was wrong', async () => {
      const response = await exportOf('acmeAdmin', { format: 'pdf' });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'INVALID_EXPORT', message: expect.stringContaining('format') });
    });
  });

  describe("Explore's saved views", () => {
    interface View { id: string; name: string; chart: string; shared: boolean; mine: boolean; ownerName: string; query: { measures: string[] } }
    const VIEW = 'id name chart shared mine ownerName query';
    const save = (who: string, input: object) =>
      graphql<{ saveView: View }>(app, `mutation ($input: SaveViewInput!) { saveView(input: $input) { ${VIEW} } }`, as(who), { input });
    const list = async (who: string) => {
      const reply = await graphql<{ savedViews: View[] }>(app, `{ savedViews { ${VIEW} } }`, as(who));
      expect(reply.body.errors).toBeUndefined();
      return reply.body.data!.savedViews;
    };
    const byOrganisation = { measures: ['CourseProgress.completionRate'], dimensions: ['Learner.organisationName'], limit: 20 };

    it("keeps a view to its owner unless shared, and within the tenant; saving a name again replaces it", async () => {
      const mine = await save('manager', { name: 'My completion', query: byOrganisation, chart: 'bar' });
      expect(mine.body.errors).toBeUndefined();
      expect(mine.body.data!.saveView).toMatchObject({ name: 'My completion', chart: 'bar', shared: false, mine: true, ownerName: expect.any(String), query: byOrganisation });
      const shared = await save('acmeAdmin', { name: 'Completion by organisation', query: byOrganisation, chart: 'table', shared: true });
      expect(shared.body.errors).toBeUndefined();

      expect((await list('manager')).map((v) => [v.name, v.mine])).toEqual([['Completion by organisation', false], ['My completion', true]]);
      expect((await list('viewer')).map((v) => v.name)).toEqual(['Completion by organisation']);
      expect(await list('globexAdmin')).toEqual([]);

      const again = await save('manager', { name: 'My completion', query: { ...byOrganisation, limit: 5 }, chart: 'line' });
      expect(again.body.data!.saveView).toMatchObject({ id: mine.body.data!.saveView.id, chart: 'line', query: { limit: 5 } });
      expect((await list('manager')).filter((v) => v.mine)).toHaveLength(1);
      const audit = await prisma.auditEvent.findFirst({ where: { tenantId: acme.id, action: 'view.shared' } });
      expect(audit?.details).toMatchObject({ name: 'Completion by organisation' });
    });

    it('refuses a query the model cannot answer and a view without a name, saying what is wrong', async () => {
      const unknown = await save('manager', { name: 'Broken', query: { measures: ['CourseProgress.nope'] }, chart: 'bar' });
      expect(unknown.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'INVALID_QUERY' }, message: expect.stringContaining('CourseProgress.nope') })]);
      const unnamed = await save('manager', { name: '  ', query: byOrganisation, chart: 'bar' });
      expect(unnamed.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }), message: expect.stringContaining('"name"') })]);
      expect((await list('manager')).map((v) => v.name)).not.toContain('Broken');
    });

    it('refuses a view whose query is larger than a view may hold, and a view past the most one person may keep', async () => {
      const names = Array.from({ length: 700 }, (_, i) => `An organisation name long enough to add up quickly, number ${i}`);
      const huge = await save('viewer', { name: 'Huge', query: { ...byOrganisation, filters: [{ member: 'Learner.organisationName', operator: 'equals', values: names }] }, chart: 'table', shared: true });
      expect(huge.body.errors).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }), message: expect.stringMatching(/^The view's query is \d+ KB, more than a saved view may hold \(32 KB\)/) }),
      ]);
      // A person at the cap: a new name is refused, saving over one of their names is not.
      const viewer = await prisma.user.findUniqueOrThrow({ where: { email: 'viewer@acme.test' } });
      await prisma.savedView.createMany({
        data: Array.from({ length: 200 }, (_, i) => ({ tenantId: acme.id, ownerId: viewer.id, name: `Filler ${i}`, query: byOrganisation, chart: 'bar' })),
      });
      try {
        const more = await save('viewer', { name: 'One more', query: byOrganisation, chart: 'bar' });
        expect(more.body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/^You have 200 saved views, the most one person may keep/) })]);
        expect((await save('viewer', { name: 'Filler 7', query: byOrganisation, chart: 'line' })).body.errors).toBeUndefined();
      } finally {
        await prisma.savedView.deleteMany({ where: { tenantId: acme.id, ownerId: viewer.id } });
      }
      expect((await list('viewer')).map((v) => v.name)).not.toContain('Huge');
    });

    it("deletes only the caller's own views; another tenant's is not found", async () => {
      const [shared] = (await list('manager')).filter((v) => !v.mine);
      const refused = await graphql(app, 'mutation ($id: ID!) { deleteView(id: $id) }', as('manager'), { id: shared!.id });
      expect(refused.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })]);
      const foreign = await graphql(app, 'mutation ($id: ID!) { deleteView(id: $id) }', as('globexAdmin'), { id: shared!.id });
      expect(foreign.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'VIEW_NOT_FOUND' }) })]);
      const deleted = await graphql<{ deleteView: string }>(app, 'mutation ($id: ID!) { deleteView(id: $id) }', as('acmeAdmin'), { id: shared!.id });
      expect(deleted.body.data?.deleteView).toBe(shared!.id);
      expect((await list('viewer')).map((v) => v.name)).toEqual([]);
    });

    it("tells the portal the tenant's locale in me", async () => {
      const reply = await graphql<{ me: { locale: string } }>(app, '{ me { locale } }', as('manager'));
      expect(reply.body.data!.me.locale).toBe('en-GB');
    });
  });

  describe('limits', () => {
    it('refuses a query with too many aliases or too deep, before running it', async () => {
      const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: meta { granularities }`).join(' ');
      const tooMany = await graphql(app, `{ ${aliases} }`, as('acmeAdmin'));
      expect(tooMany.body.errors?.[0]?.message).toMatch(/aliases, over the limit of 15|too complex/);
      const deep = await graphql(app, '{ meta { cubes { measures { name } dimensions { name } } } }', as('acmeAdmin'));
      expect(deep.body.errors).toBeUndefined();
    });
  });

  it('runs a query once when two gateway processes are asked it at the same time', async () => {
    const redis = app.get<Redis>(REDIS);
    const otherUrl = `http://127.0.0.1:${otherPort}`;
    await waitForPort(otherPort, '127.0.0.1', 60_000);
    const query = { measures: ['Learner.count'], dimensions: ['Learner.country'], limit: 4321 };
    const scope = { kind: 'tenant' } as const;
    const lock = resultLockKey(answerKeyParts(acme.id, acmeVersion, scope, queryIdentity(validateQuery(query), scope), app.get<Warehouse>(WAREHOUSE).dialect));
    const counts = async () => [warehouseQueries((await app.inject({ method: 'GET', url: '/metrics' })).body), warehouseQueries(await (await fetch(`${otherUrl}/metrics`)).text())];
    const before = await counts();

    // Held here while both are asked, so each finds the query running elsewhere; released, one of them runs it.
    expect(await redis.set(lock, 'held-by-the-test', 'PX', 60_000, 'NX')).toBe('OK');
    const body = JSON.stringify({ query: 'query ($q: AnalyticsQueryInput!) { analytics(query: $q) { rows cached dataVersion } }', variables: { q: query } });
    const headers = { 'content-type': 'application/json', ...as('acmeAdmin') };
    const replies = Promise.all([
      app.inject({ method: 'POST', url: '/graphql', headers, payload: body }).then((r) => r.json<{ data: { analytics: Result } }>()),
      fetch(`${otherUrl}/graphql`, { method: 'POST', headers, body }).then(async (r) => (await r.json()) as { data: { analytics: Result } }),
    ]);
    await redis.del(lock);
    const [mine, theirs] = await replies;

    expect(mine.data.analytics.rows).toEqual(theirs.data.analytics.rows);
    expect(mine.data.analytics.rows.length).toBeGreaterThan(0);
    expect([mine.data.analytics.cached, theirs.data.analytics.cached].sort()).toEqual([false, true]);
    const after = await counts();
    expect(after[0]! - before[0]! + (after[1]! - before[1]!)).toBe(1);
    expect(await redis.exists(lock)).toBe(0);
  });

  it('answers when the gateway holding the lock dies mid-query: its lease runs out in seconds and the other gateway runs the query', async () => {
    const redis = app.get<Redis>(REDIS);
    await waitForPort(otherPort, '127.0.0.1', 60_000);
    // A limit no other test asks, so no answer is stored for it yet.
    const query = { measures: ['Learner.count'], dimensions: ['Learner.userId'], limit: 43210 };
    const scope = { kind: 'tenant' } as const;
    const lock = resultLockKey(answerKeyParts(acme.id, acmeVersion, scope, queryIdentity(validateQuery(query), scope), app.get<Warehouse>(WAREHOUSE).dialect));
    const before = warehouseQueries((await app.inject({ method: 'GET', url: '/metrics' })).body);
    const body = JSON.stringify({ query: 'query ($q: AnalyticsQueryInput!) { analytics(query: $q) { rows cached dataVersion } }', variables: { q: query } });
    const headers = { 'content-type': 'application/json', ...as('acmeAdmin') };

    // The second gateway takes the lock and runs the query; what it sends Redis after that is held.
    const frozen = otherRelay.freezeHolderOf(lock);
    const theirs = fetch(`http://127.0.0.1:${otherPort}/graphql`, { method: 'POST', headers, body }).then(
      () => 'answered',
      () => 'no answer',
    );
    await frozen;
    // The lock is a lease the holder renews, not one held for the query's whole time limit.
    const lease = await redis.pttl(lock);
    expect(lease).toBeGreaterThan(0);
    expect(lease).toBeLessThanOrEqual(LOCK_LEASE_MS);
    const mine = app.inject({ method: 'POST', url: '/graphql', headers, payload: body });
    const exited = once(otherGateway, 'exit');
    otherGateway.kill('SIGKILL');
    await exited;
    expect(await theirs).toBe('no answer');

    const reply = (await mine).json<{ data: { analytics: Result }; errors?: unknown[] }>();
    expect(reply.errors).toBeUndefined();
    expect(reply.data.analytics.cached).toBe(false);
    const all = await sql<{ user_id: number }>(acme, 'select user_id from gold.dim_user where user_key <> -1');
    expect(reply.data.analytics.rows.map((r) => Number(r['Learner.userId'])).sort((a, b) => a - b)).toEqual(ids(all));
    expect(reply.data.analytics.rows.every((r) => Number(r['Learner.count']) === 1)).toBe(true);
    // This gateway's warehouse ran it; the dead one's answer never reached Redis.
    expect(warehouseQueries((await app.inject({ method: 'GET', url: '/metrics' })).body) - before).toBe(1);
    expect(await redis.exists(lock)).toBe(0);
  });

  it('answers uncached, without an error, while Redis is down, and counts it in /metrics', async () => {
    // A second gateway on the same stack whose Redis is not there: the suite's own Redis stays up for the worker.
    const cut = await startGateway(stack, { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    try {
      const reply = await graphql<{ analytics: Result }>(cut, '{ analytics(query: { measures: ["Learner.count"], dimensions: ["Learner.country"] }) { rows cached dataVersion } }', as('acmeAdmin'));
      expect(reply.body.errors).toBeUndefined();
      expect(reply.body.data!.analytics).toMatchObject({ cached: false, dataVersion: acmeVersion });
      expect(reply.body.data!.analytics.rows.length).toBeGreaterThan(0);
      const metrics = await cut.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/analytics_cache_requests_total\{outcome="unavailable"\} [1-9]/);
    } finally {
      await cut.close();
    }
  });
  it('with DuckDB in a reader process of its own, answers every dashboard and export as in process; when the reader dies mid-dashboard its tiles say to try again, and the next request answers', async () => {
    // Uncached, so every tile is read by the reader process.
    const apart = await startGateway(stack, { WAREHOUSE_READER: 'child-process', ANALYTICS_CACHE_ENABLED: 'false' });
    // This process's reader processes (the gateway runs in it); its warehouse may be wrapped by tracing.
    const readers = () =>
      fs.readdirSync('/proc').filter((entry) => {
        if (!/^\d+$/.test(entry)) return false;
        try {
          const parent = Number(fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
          return parent === process.pid && fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('child-reader.main.js');
        } catch {
          return false; // gone meanwhile
        }
      }).map(Number);
    type Tile = { id: string; error: { code: string; message: string } | null; result: { rows: Row[]; cached: boolean } | null };
    const ask = async (id: string, who = 'acmeAdmin') => {
      const reply = await graphql<{ dashboard: { dataVersion: number; tiles: Tile[] } }>(
        apart,
        'query ($id: String!) { dashboard(id: $id) { dataVersion tiles { id error { code message } result { rows cached } } } }',
        as(who),
        { id },
      );
      expect(reply.body.errors).toBeUndefined();
      return reply.body.data!.dashboard;
    };
    try {
      // An org admin's dashboards, and a manager's, whose scope (their reports) reaches the reader as values.
      const asked = [
        ...DASHBOARDS.map(({ id }) => ({ id, who: 'acmeAdmin' })),
        ...DASHBOARDS.filter((d) => d.roles.includes('manager')).map(({ id }) => ({ id, who: 'manager' })),
      ];
      expect(asked.filter((a) => a.who === 'manager').length).toBeGreaterThan(0);
      for (const { id, who } of asked) {
        const inProcess = await dashboard(who, id);
        const answered = await ask(id, who);
        expect({ id, who, version: answered.dataVersion }).toEqual({ id, who, version: inProcess.dataVersion });
        for (const tile of answered.tiles) {
          expect({ tile: `${who}: ${id}/${tile.id}`, error: tile.error, cached: tile.result?.cached, rows: tile.result?.rows }).toEqual({
            tile: `${who}: ${id}/${tile.id}`,
            error: null,
            cached: false,
            rows: inProcess.tiles[tile.id].result.rows,
          });
        }
      }
      const query = { measures: ['Learner.count'], dimensions: ['Learner.userId', 'Learner.fullName'], order: [{ member: 'Learner.userId', direction: 'asc' }] };
      const exported = (gateway: NestFastifyApplication) => gateway.inject({ method: 'POST', url: '/exports', headers: as('acmeAdmin'), payload: { format: 'csv', query } });
      const streamed = await exported(apart);
      expect(streamed.statusCode).toBe(200);
      expect(streamed.body).toBe((await exported(app)).body);
      expect(streamed.body.split('\n').length).toBeGreaterThan(10);

      // The reader is held (stopped) while a dashboard's tiles wait on it, then killed.
      const [pid, ...others] = readers();
      expect(others).toEqual([]);
      process.kill(pid, 'SIGSTOP');
      const pending = ask('course-completion');
      await new Promise((resolve) => setTimeout(resolve, 500));
      process.kill(pid, 'SIGKILL');
      const refused = await pending;
      expect(refused.tiles.length).toBeGreaterThan(0);
      for (const tile of refused.tiles) {
        expect(tile).toMatchObject({ result: null, error: { code: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/^The service is temporarily unavailable; try again shortly \(request id .+\)\.$/) } });
      }
      const again = await ask('course-completion');
      expect(again.tiles.map((t) => t.error)).toEqual(again.tiles.map(() => null));
      expect(readers()).toEqual([expect.any(Number)]);
      expect(readers()).not.toContain(pid);
      // Operators see the crash, and the new reader's memory beside the gateway's own.
      const metrics = (await apart.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/^warehouse_reader_stops_total\{reason="crashed"\} 1$/m);
      expect(Number(/^warehouse_reader_resident_memory_bytes (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(20 * 1024 ** 2);
    } finally {
      await apart.close();
    }
    // Closing the gateway stops its reader.
    expect(readers()).toEqual([]);
  });

  describe('traces (OpenTelemetry, to a local OTLP receiver)', () => {
    const spansNamed = (name: string, service: string) => collector.spans.filter((s) => s.name === name && s.service === service);
    const childrenOf = (parent: ReceivedSpan) => collector.spans.filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId);

    it('links an analytics request, its resolver and its warehouse statement, with the tenant, and logs the trace id', async () => {
      // A limit no other test asks for, so the result cache cannot answer it without the warehouse.
      const reply = await analytics('acmeAdmin', { measures: ['Learner.count'], dimensions: ['Learner.userId'], limit: 4321 });
      expect(reply.body.errors).toBeUndefined();
      const requestId = String(reply.headers['x-request-id']);
      await app.get<Tracing>(TRACING).flush();

      const request = collector.spans.find((s) => s.name === 'POST /graphql' && s.attributes['kineo.request_id'] === requestId)!;
      expect(request).toMatchObject({ service: 'kineo-gateway', parentSpanId: '', attributes: { [ATTR.tenant]: acme.namespace, 'http.response.status_code': 200 } });
      const resolver = childrenOf(request).find((s) => s.name === 'graphql Query.analytics')!;
      expect(resolver.attributes).toMatchObject({ [ATTR.tenant]: acme.namespace, [ATTR.tenantId]: acme.id });
      const statement = childrenOf(resolver).find((s) => s.name === 'warehouse.queryPublished')!;
      expect(statement.attributes).toMatchObject({ [ATTR.tenant]: acme.namespace, [ATTR.dataVersion]: acmeVersion, 'db.operation.name': 'SELECT' });
      // Identifiers only: neither the SQL nor anything of the answer is in the trace.
      expect(JSON.stringify([request, resolver, statement])).not.toMatch(/gold\.|Learner\.userId|4321/);

      const completed = logs.lines.find((line) => line.reqId === requestId && line.msg === 'request completed');
      expect(completed).toMatchObject({ trace_id: request.traceId });
    });

    it("traces the worker's load as job, stage and model spans, down to the model's statements", async () => {
      // The worker's exporter sends its spans in batches, every few seconds.
      const deadline = Date.now() + 60_000;
      let model: ReceivedSpan | undefined;
      while (!(model = spansNamed('model gold.fact_course_progress', 'kineo-worker')[0]) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(model).toBeDefined();
      const stage = collector.spans.find((s) => s.spanId === model!.parentSpanId && s.traceId === model!.traceId)!;
      expect(stage).toMatchObject({ name: 'stage gold', attributes: { [ATTR.stage]: 'gold' } });
      const job = collector.spans.find((s) => s.spanId === stage.parentSpanId && s.traceId === stage.traceId)!;
      expect(job).toMatchObject({ name: 'job build.stage', parentSpanId: '', attributes: { [ATTR.job]: 'build.stage', [ATTR.jobQueue]: 'build' } });
      expect([acme.id, globex.id]).toContain(job.attributes[ATTR.tenantId]);
      expect(childrenOf(model!).map((s) => s.name)).toContain('warehouse.execute');
      expect(spansNamed('job load.ingest', 'kineo-worker').length).toBeGreaterThanOrEqual(2);
    });
  });
});
