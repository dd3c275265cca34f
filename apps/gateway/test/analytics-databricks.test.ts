import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { compileQuery, dashboardQueries, DASHBOARDS } from '@kineo/analytics';
import { UserService } from '@kineo/auth';
import { FileSecretStore } from '@kineo/config';
import { createPrismaClient, TenantService, type PrismaClient, type Tenant } from '@kineo/db';
import { JobQueues, provisionTenantJob } from '@kineo/jobs';
import { startTestStack, startWorkerProcess, stopProcess, type TestStack } from '@kineo/testkit';
import { DatabricksWarehouse, databricksDialect, type Row, type SqlParam } from '@kineo/warehouse';
import { startDatabricksTestServer, type DatabricksTestServer } from '@kineo/warehouse/test/databricks-server';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import ExcelJS from 'exceljs';
import { loadGeneratedExport } from './support/analytics-tenant';
import { graphql, startGateway } from './support/gateway';

const PASSWORD = 'correct horse battery staple';
const AS_OF = new Date('2025-06-30T00:00:00.000Z');
const workerMain = path.join(__dirname, '..', '..', 'worker', 'dist', 'main.js');

interface Result {
  rows: Record<string, unknown>[];
  dataVersion: number;
  rollup: string | null;
}

/**
 * The product on its production engine: a worker and a gateway configured for Databricks (the local
 * server speaking its protocol), a generated export uploaded, built and published there, and the
 * dashboards, a manager's scope, a drill and an export answered through GraphQL and HTTP.
 */
describe('analytics over GraphQL on a Databricks tenant', () => {
  let server: DatabricksTestServer;
  let stack: TestStack;
  let prisma: PrismaClient;
  let queues: JobQueues;
  let worker: ChildProcess;
  let app: NestFastifyApplication;
  /** The test's own way to the tenant's published gold, for SQL written here. */
  let dbx: DatabricksWarehouse;
  let tenant: Tenant;
  let managerUserId: number;
  const tokens: Record<string, string> = {};

  const sql = async (text: string, params: SqlParam[] = []): Promise<Row[]> =>
    (await dbx.queryPublished({ tenantId: tenant.id, namespace: tenant.namespace }, text, params)).rows;
  const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });

  async function login(email: string): Promise<string> {
    const reply = await graphql<{ login: { token: string } }>(app, `mutation { login(email: ${JSON.stringify(email)}, password: ${JSON.stringify(PASSWORD)}) { token } }`);
    expect(reply.body.errors).toBeUndefined();
    return reply.body.data!.login.token;
  }

  async function answer(who: string, query: object, reach?: 'all' | 'direct'): Promise<Result> {
    const reply = await graphql<{ analytics: Result }>(app, 'query ($q: AnalyticsQueryInput!, $reach: Reach) { analytics(query: $q, reach: $reach) { rows dataVersion rollup } }', as(who), {
      q: query,
      ...(reach ? { reach } : {}),
    });
    expect(reply.body.errors).toBeUndefined();
    return reply.body.data!.analytics;
  }

  beforeAll(async () => {
    server = await startDatabricksTestServer();
    stack = await startTestStack();
    const caFile = path.join(stack.dir, 'databricks-ca.pem');
    fs.writeFileSync(caFile, server.caCert);
    // The settings a deployment on Databricks uses; the token from the secret store, as there.
    const env = {
      WAREHOUSE_ENGINE: 'databricks',
      DATABRICKS_HOST: server.host,
      DATABRICKS_PORT: String(server.port),
      DATABRICKS_HTTP_PATH: server.path,
      DATABRICKS_CA_CERT_FILE: caFile,
      DATABRICKS_AUTH: 'token',
    };
    await new FileSecretStore(path.join(stack.env.KINEO_DATA_DIR, 'secrets')).set('databricks-token', server.token);
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    queues = new JobQueues(stack.redisUrl);
    worker = await startWorkerProcess(workerMain, { ...stack.env, ...env });
    app = await startGateway(stack, env);
    dbx = new DatabricksWarehouse({ ...server.connection, landingRoot: path.join(stack.env.KINEO_DATA_DIR, 'landing') });

    const tenants = new TenantService(prisma);
    const users = new UserService(prisma);
    tenant = await tenants.create({ slug: 'bricks', name: 'Bricks Health', actor: 'test' });
    await queues.enqueue(provisionTenantJob, { tenantId: tenant.id, requestedBy: 'test' });
    await users.create({ email: 'admin@bricks.test', password: PASSWORD, grant: { tenantSlug: 'bricks', role: 'org_admin' }, actor: 'test' });
    for (let i = 0; (await tenants.get('bricks')).status !== 'active'; i++) {
      if (i > 600) throw new Error('bricks was not provisioned');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    tokens.admin = await login('admin@bricks.test');
    await loadGeneratedExport(app, prisma, { token: tokens.admin, dir: path.join(stack.dir, 'export'), users: 50, seed: 11, asOf: AS_OF });

    const [manager] = await sql(
      `select mu.user_id from gold.dim_manager_relationship r join gold.dim_user mu on mu.user_key = r.manager_user_key
       where r.manager_user_key <> -1 and r.relationship <> 'self'
       group by mu.user_id having count(case when r.relationship = 'direct' then 1 end) > 0 and count(case when r.relationship = 'indirect' then 1 end) > 0
       order by count(*) desc, mu.user_id limit 1`,
    );
    managerUserId = Number(manager.user_id);
    await users.create({ email: 'manager@bricks.test', password: PASSWORD, grant: { tenantSlug: 'bricks', role: 'manager', lmsUserId: managerUserId }, actor: 'test' });
    tokens.manager = await login('manager@bricks.test');
  }, 600_000);

  afterAll(async () => {
    await app?.close();
    await stopProcess(worker);
    await dbx?.close();
    await queues?.close();
    await prisma?.$disconnect();
    await stack?.stop();
    await server?.close();
  });

  it("answers every dashboard for an org admin and a manager, each tile what its Databricks SQL gives on the tenant's published gold", async () => {
    for (const who of ['admin', 'manager'] as const) {
      for (const dashboard of DASHBOARDS) {
        const reply = await graphql<{ dashboard: { dataVersion: number; tiles: { id: string; result: Result }[] } }>(
          app,
          'query ($id: String!) { dashboard(id: $id) { dataVersion tiles { id result { rows dataVersion rollup } } } }',
          as(who),
          { id: dashboard.id },
        );
        expect({ dashboard: dashboard.id, who, errors: reply.body.errors }).toEqual({ dashboard: dashboard.id, who, errors: undefined });
        const tiles = new Map(reply.body.data!.dashboard.tiles.map((t) => [t.id, t.result]));
        expect(reply.body.data!.dashboard.dataVersion).toBeGreaterThanOrEqual(1);
        if (who === 'manager') continue;
        // The org admin's tiles, against the facts (no rollup) run here on the same version.
        for (const { tile, run } of dashboardQueries(dashboard.id, [])) {
          const compiled = compileQuery(run, { kind: 'tenant' }, databricksDialect, { asOf: AS_OF.toISOString().slice(0, 10) });
          // The statement reads one row past its limit (a table tile's page), which only says that more follow.
          const expected = (await sql(compiled.sql, compiled.params)).slice(0, compiled.limit);
          const got = tiles.get(tile.id)!.rows;
          expect({ tile: `${dashboard.id}/${tile.id}`, rows: rounded(got) }).toEqual({ tile: `${dashboard.id}/${tile.id}`, rows: rounded(expected) });
        }
      }
    }
  });

  it('gives the course completion summary that SQL written here gives', async () => {
    const reply = await graphql<{ dashboard: { tiles: { id: string; result: Result }[] } }>(app, '{ dashboard(id: "course-completion") { tiles { id result { rows dataVersion rollup } } } }', as('admin'));
    const summary = reply.body.data!.dashboard.tiles.find((t) => t.id === 'summary')!.result.rows[0];
    const [expected] = await sql(
      `select count(*) as n, count(case when f.status in ('complete', 'complete_rpl') then 1 end) as c
       from gold.fact_course_progress f join gold.dim_user u on u.user_key = f.user_key and u.is_active`,
    );
    expect(Number(summary['CourseProgress.count'])).toBe(Number(expected.n));
    expect(Number(summary['CourseProgress.completed'])).toBe(Number(expected.c));
    expect(Number(expected.n)).toBeGreaterThan(0);
  });

  it('shows a manager exactly the learners dim_manager_relationship gives them, all levels or direct only', async () => {
    for (const [reach, relationships] of [
      ['all', `('direct', 'indirect')`],
      ['direct', `('direct')`],
    ] as const) {
      const expected = await sql(
        `select u.user_id from gold.dim_manager_relationship r join gold.dim_user mu on mu.user_key = r.manager_user_key join gold.dim_user u on u.user_key = r.user_key
         where mu.user_id = ? and r.relationship in ${relationships} order by 1`,
        [managerUserId],
      );
      const got = await answer('manager', { measures: ['Learner.count'], dimensions: ['Learner.userId'], limit: 50000 }, reach);
      expect(got.rows.map((r) => Number(r['Learner.userId'])).sort((a, b) => a - b)).toEqual(expected.map((r) => Number(r.user_id)));
      expect(expected.length).toBeGreaterThan(0);
    }
  });

  it("drills into a cell page by page: its learners and items add up to the cell's count", async () => {
    const query = { measures: ['CourseProgress.count'], dimensions: ['Learner.organisationName'], limit: 1 };
    const [cell] = (await answer('admin', query)).rows;
    const seen: unknown[] = [];
    let after: string | null = null;
    do {
      const reply: { body: { errors?: unknown; data?: { drill: { rows: Row[]; nextCursor: string | null } } | null } } = await graphql(
        app,
        'query ($q: AnalyticsQueryInput!, $cell: JSON!, $after: String) { drill(query: $q, cell: $cell, pageSize: 7, after: $after) { rows nextCursor } }',
        as('admin'),
        { q: query, cell: { 'Learner.organisationName': cell['Learner.organisationName'] }, ...(after ? { after } : {}) },
      );
      expect(reply.body.errors).toBeUndefined();
      seen.push(...reply.body.data!.drill.rows);
      after = reply.body.data!.drill.nextCursor;
    } while (after);
    expect(seen).toHaveLength(Number(cell['CourseProgress.count']));
  });

  it('narrows a dashboard by a filter as SQL written here does', async () => {
    const [course] = await sql("select c.label from gold.fact_course_progress f join gold.dim_course c on c.course_key = f.course_key group by c.label order by count(*) desc, c.label limit 1");
    const reply = await graphql<{ dashboard: { tiles: { id: string; result: Result }[] } }>(
      app,
      'query ($filters: [AnalyticsFilterInput!]) { dashboard(id: "course-completion", filters: $filters) { tiles { id result { rows dataVersion rollup } } } }',
      as('admin'),
      { filters: [{ member: 'CourseProgress.courseName', operator: 'equals', values: [course.label] }] },
    );
    expect(reply.body.errors).toBeUndefined();
    const summary = reply.body.data!.dashboard.tiles.find((t) => t.id === 'summary')!.result.rows[0];
    const [expected] = await sql(
      'select count(*) as n from gold.fact_course_progress f join gold.dim_user u on u.user_key = f.user_key and u.is_active join gold.dim_course c on c.course_key = f.course_key where c.label = ?',
      [String(course.label)],
    );
    expect(Number(summary['CourseProgress.count'])).toBe(Number(expected.n));
    expect(Number(expected.n)).toBeGreaterThan(0);
  });

  it('invites every manager of the published hierarchy in one action', async () => {
    const [expected] = await sql(
      `select count(*) as n from gold.dim_user u where u.user_key > 0 and u.is_active
       and exists (select 1 from gold.dim_manager_relationship r where r.manager_user_key = u.user_key and r.relationship = 'direct')`,
    );
    const reply = await graphql<{ inviteAllManagers: { managers: number; alreadyMembers: number } }>(app, 'mutation { inviteAllManagers { managers alreadyMembers } }', as('admin'));
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data!.inviteAllManagers.managers).toBe(Number(expected.n));
    expect(reply.body.data!.inviteAllManagers.alreadyMembers).toBe(1);
  });

  it("exports a manager's query as CSV with the query's rows", async () => {
    const query = { measures: ['Learner.count'], dimensions: ['Learner.userId', 'Learner.fullName'], order: [{ member: 'Learner.userId', direction: 'asc' }] };
    const expected = await answer('manager', query);
    const response = await app.inject({ method: 'POST', url: '/exports', headers: as('manager'), payload: { format: 'csv', query } });
    expect(response.statusCode).toBe(200);
    const lines = response.body.trimEnd().split('\n');
    expect(lines.slice(1).map((line) => Number(line.split(',')[0]))).toEqual(expected.rows.map((r) => Number(r['Learner.userId'])));
    expect(expected.rows.length).toBeGreaterThan(0);
  });

  it("exports a manager's query as XLSX: the workbook's rows are the CSV's and the query's, cell for cell", async () => {
    // Text, whole numbers and rates: each kind of cell the writer types differently.
    const query = {
      measures: ['CourseProgress.count', 'CourseProgress.completionRate'],
      dimensions: ['Learner.userId', 'Learner.fullName', 'CourseProgress.status'],
      order: [{ member: 'Learner.userId', direction: 'asc' as const }, { member: 'CourseProgress.status', direction: 'asc' as const }],
    };
    const expected = await answer('manager', query);
    const { columns } = compileQuery(query, { kind: 'tenant' }, databricksDialect, { asOf: AS_OF.toISOString() });
    const exported = (format: 'csv' | 'xlsx') => app.inject({ method: 'POST', url: '/exports', headers: as('manager'), payload: { format, query } });
    const [csv, xlsx] = [await exported('csv'), await exported('xlsx')];
    expect([csv.statusCode, xlsx.statusCode]).toEqual([200, 200]);
    expect(xlsx.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const [header, ...cells] = workbook.worksheets[0]!.getSheetValues().slice(1).map((row) => (row as unknown[]).slice(1));
    expect(header).toEqual(columns.map((c) => c.title));
    // A figure shows as the screens show it, the number kept: a rate as a percentage, a count with thousands.
    const firstRow = workbook.worksheets[0]!.getRow(2);
    expect(columns.map((c, i) => [c.key, firstRow.getCell(i + 1).numFmt ?? null])).toEqual([
      ['Learner.userId', null],
      ['Learner.fullName', null],
      ['CourseProgress.status', null],
      ['CourseProgress.count', '#,##0'],
      ['CourseProgress.completionRate', '0.0%'],
    ]);
    // Cells keep their types: ids and counts are numbers, rates the query's doubles.
    // A coded cell (the status) is its label in the workbook, read by people, and its code in the CSV.
    const label = (c: (typeof columns)[number], v: unknown) => c.values?.find((coded) => coded.value === v)?.label ?? v;
    const code = (c: (typeof columns)[number], v: unknown) => c.values?.find((coded) => coded.label === v)?.value ?? v;
    const workbookRows = cells.map((row) => Object.fromEntries(columns.map((c, i) => [c.key, row[i] ?? null])));
    expect(rounded(workbookRows)).toEqual(rounded(expected.rows.map((r) => Object.fromEntries(columns.map((c) => [c.key, label(c, r[c.key] ?? null)])))));
    expect(workbookRows.every((r) => typeof r['Learner.userId'] === 'number' && typeof r['CourseProgress.completionRate'] === 'number')).toBe(true);
    expect(workbookRows.some((r) => r['CourseProgress.status'] === 'Not started' || r['CourseProgress.status'] === 'In progress' || r['CourseProgress.status'] === 'Complete')).toBe(true);
    // The CSV of the same query, line for line (generated names hold no comma or quote).
    // After the byte-order mark every CSV starts with (for Excel).
    expect(csv.body.startsWith('\uFEFF')).toBe(true);
    expect(csv.body.slice(1).trimEnd().split('\n')).toEqual(
      [header, ...cells.map((row) => row.map((cell, i) => code(columns[i]!, cell)))].map((row) => columns.map((_, i) => csvText(row[i])).join(',')),
    );
    expect(cells.length).toBe(expected.rows.length);
    expect(cells.length).toBeGreaterThan(1);
  });

  it('with its warehouse in a reader process of its own, answers every dashboard as the gateway with the driver inside, and streams an export', async () => {
    const env = {
      WAREHOUSE_ENGINE: 'databricks',
      DATABRICKS_HOST: server.host,
      DATABRICKS_PORT: String(server.port),
      DATABRICKS_HTTP_PATH: server.path,
      DATABRICKS_CA_CERT_FILE: path.join(stack.dir, 'databricks-ca.pem'),
      DATABRICKS_AUTH: 'token',
    };
    // Uncached, so every tile is read through the reader process.
    const apart = await startGateway(stack, { ...env, WAREHOUSE_READER: 'child-process', ANALYTICS_CACHE_ENABLED: 'false' });
    const ask = async (gateway: NestFastifyApplication, id: string) => {
      const reply = await graphql<{ dashboard: { dataVersion: number; tiles: { id: string; error: unknown; result: { rows: Row[]; cached: boolean } | null }[] } }>(
        gateway,
        'query ($id: String!) { dashboard(id: $id) { dataVersion tiles { id error { code message } result { rows cached } } } }',
        as('admin'),
        { id },
      );
      expect(reply.body.errors).toBeUndefined();
      return reply.body.data!.dashboard;
    };
    try {
      for (const { id } of DASHBOARDS) {
        const [inside, answered] = [await ask(app, id), await ask(apart, id)];
        expect(answered.dataVersion).toBe(inside.dataVersion);
        const rows = (d: typeof inside) => d.tiles.map((t) => ({ tile: `${id}/${t.id}`, error: t.error, rows: t.result?.rows }));
        expect(rows(answered)).toEqual(rows(inside));
        expect(answered.tiles.every((t) => t.result?.cached === false)).toBe(true);
      }
      const payload = { format: 'csv', query: { measures: ['Learner.count'], dimensions: ['Learner.userId'], order: [{ member: 'Learner.userId', direction: 'asc' }] } };
      const [inside, streamed] = await Promise.all([app, apart].map((gateway) => gateway.inject({ method: 'POST', url: '/exports', headers: as('admin'), payload })));
      expect(streamed.statusCode).toBe(200);
      expect(streamed.body).toBe(inside.body);
      expect(streamed.body.trimEnd().split('\n').length).toBeGreaterThan(10);
    } finally {
      await apart.close();
    }
  });
});

/** A workbook cell as the CSV writes it: empty for none; every cell here is text or a number. */
function csvText(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string' || typeof cell === 'number') return String(cell);
  throw new Error(`an unexpected cell in the workbook: ${JSON.stringify(cell)}`);
}

/** Rates to 9 places and whole numbers whatever their type: what a reader sees. */
function rounded(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => {
        if (typeof v === 'bigint') return [k, Number(v)];
        if (typeof v === 'number' && !Number.isInteger(v)) return [k, Math.round(v * 1e9) / 1e9];
        if (v instanceof Date) return [k, v.toISOString().slice(0, 10)];
        if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T00:00:00(\.000)?Z$/.test(v)) return [k, v.slice(0, 10)];
        return [k, v];
      }),
    ),
  );
}
