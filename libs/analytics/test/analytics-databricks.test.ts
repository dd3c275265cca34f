import { DatabricksWarehouse, databricksDialect, duckdbDialect, type Dialect, type Row } from '@kineo/warehouse';
import { startDatabricksTestServer, type DatabricksTestServer } from '@kineo/warehouse/test/databricks-server';
import { compileDrill, compileQuery, dashboardQueries, DASHBOARDS, type AnalyticsQuery, type AnalyticsScope } from '../src';
import { AS_OF, buildGoldTenant, type GoldTenant } from './gold-tenant';

/** Values as a user reads them: whole numbers whatever their type, rates to 9 places, dates as days. */
function readable(rows: Row[]): Row[] {
  const value = (v: unknown): unknown => {
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'number') return Number.isInteger(v) ? v : Math.round(v * 1e9) / 1e9;
    if (v instanceof Date) return v.toISOString().slice(0, 10);
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}(T00:00:00(\.000)?Z?)?$/.test(v)) return v.slice(0, 10);
    return v;
  };
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, value(v)])));
}

/**
 * The semantic layer's Databricks SQL, run the way the gateway runs it (queryPublished and
 * streamPublished, through the read-only guard) on a tenant built by the pipeline on the local
 * Databricks server, answers what its DuckDB SQL answers on the same export loaded into DuckDB.
 */
describe('analytics on Databricks: every dashboard, scope, drill and export through the guard', () => {
  let server: DatabricksTestServer;
  let dbx: GoldTenant;
  let duck: GoldTenant;
  const engines = () => [
    { name: 'duckdb', gold: duck, dialect: duckdbDialect as Dialect },
    { name: 'databricks', gold: dbx, dialect: databricksDialect as Dialect },
  ];
  /** Each engine's scopes: surrogate keys are each build's own, so a manager is found by LMS user id. */
  const scopes = new Map<string, { name: string; scope: AnalyticsScope }[]>();

  beforeAll(async () => {
    server = await startDatabricksTestServer();
    [duck, dbx] = await Promise.all([
      buildGoldTenant(50),
      buildGoldTenant(50, (landingRoot) => new DatabricksWarehouse({ ...server.connection, landingRoot })),
    ]);
    const [busiest] = await duck.sql(
      `select u.user_id, r.manager_user_key from gold.dim_manager_relationship r join gold.dim_user u on u.user_key = r.manager_user_key
       where r.relationship = 'indirect' and r.manager_user_key <> -1 group by 1, 2 order by count(*) desc, 1 limit 1`,
    );
    const [org] = await duck.sql('select organisation_id from gold.dim_organisation where depth = 1 and organisation_id is not null order by organisation_id limit 1');
    for (const { name, gold } of engines()) {
      const [manager] = await gold.sql('select user_key from gold.dim_user where user_id = ?', [Number(busiest.user_id)]);
      const managerUserId = Number(manager.user_key);
      scopes.set(name, [
        { name: 'org admin', scope: { kind: 'tenant' } },
        { name: 'manager (all)', scope: { kind: 'manager', managerUserId, reach: 'all' } },
        { name: 'manager (direct)', scope: { kind: 'manager', managerUserId, reach: 'direct' } },
        { name: 'viewer', scope: { kind: 'viewer', organisationIds: [Number(org.organisation_id)] } },
      ]);
    }
  }, 300_000);

  afterAll(async () => {
    await dbx?.close();
    await duck?.close();
    await server?.close();
  });

  /** One answer per engine for the same request, in each engine's dialect and scope. */
  async function both(answer: (gold: GoldTenant, dialect: Dialect, scope: AnalyticsScope) => Promise<Row[]>, scopeName: string) {
    const out: Row[][] = [];
    for (const { name, gold, dialect } of engines()) {
      const scope = scopes.get(name)!.find((s) => s.name === scopeName)!.scope;
      out.push(readable(await answer(gold, dialect, scope)));
    }
    return { duckdb: out[0], databricks: out[1] };
  }

  const options = (gold: GoldTenant, rollups: boolean) => ({ asOf: AS_OF, ...(rollups ? { rollups: gold.rollups } : {}) });

  it('built the same published gold on both engines, rollups included', () => {
    expect(dbx.rollups.map((r) => [r.rollup, r.rows]).sort()).toEqual(duck.rollups.map((r) => [r.rollup, r.rows]).sort());
    expect(dbx.rollups.length).toBeGreaterThan(10);
  });

  describe.each(DASHBOARDS.map((d) => [d.id]))('the %s dashboard', (id) => {
    it.each(['org admin', 'manager (all)', 'manager (direct)', 'viewer'])('answers every tile for the %s as on DuckDB, with and without rollups', async (scopeName) => {
      let counted = 0;
      for (const rollups of [false, true]) {
        for (const { tile, query } of dashboardQueries(id, [])) {
          const answers = await both((gold, dialect, scope) => gold.run(compileQuery(query, scope, dialect, options(gold, rollups))), scopeName);
          expect({ tile: tile.id, rollups, rows: answers.databricks }).toEqual({ tile: tile.id, rollups, rows: answers.duckdb });
          counted += answers.duckdb.length;
        }
      }
      if (scopeName === 'org admin') expect(counted).toBeGreaterThan(0);
    });
  });

  const byOrganisation: AnalyticsQuery = { measures: ['CourseProgress.count', 'CourseProgress.completed'], dimensions: ['Learner.organisationName'] };

  it.each(['org admin', 'manager (all)', 'viewer'])("drills into a cell's learners page by page as on DuckDB, for the %s", async (scopeName) => {
    const [cell] = await duck.run(compileQuery({ ...byOrganisation, limit: 1 }, { kind: 'tenant' }, duckdbDialect, { asOf: AS_OF }));
    const answers = await both(async (gold, dialect, scope) => {
      const rows: Row[] = [];
      let after: string | undefined;
      for (;;) {
        const drill = compileDrill({ query: byOrganisation, cell: { 'Learner.organisationName': cell['Learner.organisationName'] as string }, pageSize: 7, after }, scope, dialect, { asOf: AS_OF });
        const page = await gold.run(drill);
        rows.push(...page);
        if (page.length < drill.pageSize) return rows;
        after = drill.cursorOf(page[page.length - 1]);
      }
    }, scopeName);
    expect(answers.databricks).toEqual(answers.duckdb);
    if (scopeName === 'org admin') expect(answers.duckdb.length).toBe(cell['CourseProgress.count']);
  });

  it('streams an export of a query (no limit) with the rows of the query, as on DuckDB', async () => {
    const query: AnalyticsQuery = { measures: ['Learner.count', 'Learner.overdueItems'], dimensions: ['Learner.fullName', 'Learner.organisationName'] };
    const answers = await both((gold, dialect, scope) => gold.stream(compileQuery(query, scope, dialect, { asOf: AS_OF, noLimit: true })), 'manager (all)');
    expect(answers.databricks).toEqual(answers.duckdb);
    expect(answers.duckdb.length).toBeGreaterThan(0);
  });

  it('still refuses what the guard refuses, in Databricks spelling', async () => {
    for (const sql of ['select `getenv`(\'HOME\')', 'select current_user', 'select * from gold.`/etc/passwd`', "select * from read_files('/Volumes/x')"]) {
      await expect(dbx.sql(sql)).rejects.toMatchObject({ code: 'WAREHOUSE_READ_ONLY' });
    }
    await expect(dbx.sql('select 1 as x')).resolves.toEqual([{ x: 1 }]);
  });
});
