import type { AccessToken, TokenCredential } from '@azure/identity';
import { WarehouseError, type TenantNamespace } from '../src';
import { AZURE_DATABRICKS_SCOPE, DatabricksWarehouse, type DatabricksWarehouseOptions } from '../src/databricks';
import { startDatabricksTestServer, type DatabricksTestServer } from './databricks-server';

let server: DatabricksTestServer;
const open: DatabricksWarehouse[] = [];

beforeAll(async () => {
  server = await startDatabricksTestServer({ catalogs: ['kineo_shared'] });
});

afterEach(async () => {
  server.hooks.statementDelayMs = 0;
  await Promise.all(open.splice(0).map((w) => w.close()));
});

afterAll(async () => {
  await server?.close();
});

function warehouse(options: Partial<DatabricksWarehouseOptions> = {}): DatabricksWarehouse {
  const created = new DatabricksWarehouse({
    ...server.connection,
    retryBackoffMs: 10,
    ...options,
  });
  open.push(created);
  return created;
}

let tenants = 0;
function tenant(): TenantNamespace {
  tenants += 1;
  return { tenantId: `00000000-0000-4000-8000-${String(tenants).padStart(12, '0')}`, namespace: `t_0dr${String(tenants).padStart(3, '0')}` };
}

const catalogOf = (t: TenantNamespace) => `kineo_${t.namespace}`;

async function failure(promise: Promise<unknown>): Promise<WarehouseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WarehouseError);
  return error as WarehouseError;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs for minutes on DuckDB unless interrupted. */
const SLOW_QUERY = 'select count(*) as n from range(100000000000) t where hash(t.range) % 1000003 = 7';

describe('session pool', () => {
  it('never opens more sessions for a tenant than the pool allows; the rest wait their turn', async () => {
    const wh = warehouse({ pool: { maxSessions: 3 } });
    const t = tenant();
    await wh.provision(t);
    server.hooks.statementDelayMs = 50;
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => wh.query(t, 'select ? as n', [i])));
    expect(results.map((r) => r.rows[0].n)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(server.recorder.sessionsOpened(catalogOf(t))).toHaveLength(3);
    expect(server.recorder.peakOpenSessions(catalogOf(t))).toBe(3);
  });

  it('opens sessions inside the tenant catalog with the statement timeout and UTC set', async () => {
    const wh = warehouse({ statementTimeoutMs: 90_000 });
    const t = tenant();
    await wh.provision(t);
    await wh.query(t, 'select 1 as one');
    const [session] = server.recorder.sessionsOpened(catalogOf(t));
    expect(session).toMatchObject({ catalog: catalogOf(t), schema: 'gold', configuration: { STATEMENT_TIMEOUT: '90', TIMEZONE: 'UTC' } });
  });

  it('closes a session that stays idle past the eviction time, and opens a new one when needed', async () => {
    const wh = warehouse({ pool: { idleMs: 100 } });
    const t = tenant();
    await wh.provision(t);
    await wh.query(t, 'select 1 as one');
    expect(server.recorder.sessionsOpened(catalogOf(t))).toHaveLength(1);
    await waitFor(() => server.recorder.openSessions(catalogOf(t)).length === 0, 'the idle session to be closed');
    await wh.query(t, 'select 1 as one');
    expect(server.recorder.sessionsOpened(catalogOf(t))).toHaveLength(2);
  });

  it('release() closes the tenant sessions at once', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    await wh.query(t, 'select 1 as one');
    expect(server.recorder.openSessions(catalogOf(t))).toHaveLength(1);
    await wh.release(t);
    await waitFor(() => server.recorder.openSessions(catalogOf(t)).length === 0, 'the released session to be closed');
  });

  it('reopens an expired session and runs the read once more', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    await wh.query(t, 'select 1 as before_expiry');
    server.hooks.expireSessions();
    const result = await wh.query(t, 'select 2 as after_expiry');
    expect(result.rows).toEqual([{ after_expiry: 2 }]);
    expect(server.recorder.statementsLike(/after_expiry/).map((s) => s.state)).toEqual(['rejected', 'finished']);
    expect(server.recorder.sessionsOpened(catalogOf(t))).toHaveLength(2);
  });

  it('resends a write the server refused for an expired session, exactly once', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    await wh.query(t, 'select 1 as one');
    server.hooks.expireSessions();
    await wh.execute(t, 'create table bronze.expired_write as select 1 as id');
    expect(server.recorder.statementsLike(/expired_write/).map((s) => s.state)).toEqual(['rejected', 'finished']);
    expect(await wh.tableCounts(t, 'bronze')).toEqual([{ layer: 'bronze', table: 'expired_write', rows: 1 }]);
  });

  it('reopens only once: a second expired session is an error', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    server.hooks.expireNextExecutes(2);
    const error = await failure(wh.query(t, 'select 1 as twice_expired'));
    expect(error.code).toBe('WAREHOUSE_UNAVAILABLE');
    expect(server.recorder.statementsLike(/twice_expired/).map((s) => s.state)).toEqual(['rejected', 'rejected']);
  });
});

describe('transient failures', () => {
  it.each([
    ['HTTP 503', 503],
    ['HTTP 429', 429],
    ['a dropped connection', 'reset'],
  ] as const)('retries a read after %s', async (_case, fault) => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    const before = server.recorder.requestsFor('ExecuteStatement').length;
    server.hooks.failNext('ExecuteStatement', fault);
    const result = await wh.query(t, 'select 42 as answer');
    expect(result.rows).toEqual([{ answer: 42 }]);
    expect(server.recorder.requestsFor('ExecuteStatement').slice(before).map((r) => r.status)).toEqual([fault, 200]);
  });

  it('does not resend a write after a transient failure: the write may have happened', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    const before = server.recorder.requestsFor('ExecuteStatement').length;
    server.hooks.failNext('ExecuteStatement', 503);
    const error = await failure(wh.execute(t, 'create table bronze.written_once as select 1 as id'));
    expect(error.code).toBe('WAREHOUSE_UNAVAILABLE');
    expect(server.recorder.requestsFor('ExecuteStatement').slice(before).map((r) => r.status)).toEqual([503]);
    expect(server.recorder.statementsLike(/written_once/)).toEqual([]);
  });

  it('opens a session again after a dropped connection, and then sends a write once', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    const before = server.recorder.requestsFor('OpenSession').length;
    server.hooks.failNext('OpenSession', 'reset');
    await wh.execute(t, 'create table bronze.after_reopen as select 1 as id');
    expect(server.recorder.requestsFor('OpenSession').slice(before).map((r) => r.status)).toEqual(['reset', 200]);
    expect(server.recorder.statementsLike(/after_reopen/).map((s) => s.state)).toEqual(['finished']);
  });

  it('gives up on a read after its retries, as WAREHOUSE_UNAVAILABLE', async () => {
    const wh = warehouse({ readRetries: 1 });
    const t = tenant();
    await wh.provision(t);
    server.hooks.failNext('ExecuteStatement', 503, 2);
    const error = await failure(wh.query(t, 'select 1 as never'));
    expect(error.code).toBe('WAREHOUSE_UNAVAILABLE');
    expect(error.message).not.toMatch(/127\.0\.0\.1|https?:/);
  });
});

describe('statement time limits', () => {
  it('cancels a statement that outlives its time limit: WAREHOUSE_TIMEOUT', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    // The client cancels at 100 ms + grace, well before the server's own 1 s limit.
    const error = await failure(wh.query(t, SLOW_QUERY, [], { timeoutMs: 100 }));
    expect(error.code).toBe('WAREHOUSE_TIMEOUT');
    const [statement] = server.recorder.statementsLike(/range\(100000000000\)/).slice(-1);
    expect(statement.queryTimeoutSeconds).toBe(1);
    await waitFor(() => statement.state !== 'running', 'the statement to stop');
    expect(statement.state).toBe('canceled');
  });

  it("reports the warehouse's own statement timeout as WAREHOUSE_TIMEOUT", async () => {
    const wh = warehouse({ timeoutGraceMs: 60_000 });
    const t = tenant();
    await wh.provision(t);
    const error = await failure(wh.execute(t, `create table bronze.never as ${SLOW_QUERY}`, [], { timeoutMs: 1000 }));
    expect(error.code).toBe('WAREHOUSE_TIMEOUT');
    const [statement] = server.recorder.statementsLike(/bronze\.never/);
    expect(statement.state).toBe('timedout');
  });
});

describe('results', () => {
  it('fetches a large result page by page, never all at once', async () => {
    const wh = warehouse({ fetchRows: 2000 });
    const t = tenant();
    await wh.provision(t);
    await wh.execute(t, 'create table silver.many as select range as n from range(0, 9000)');
    const before = server.recorder.pages.length;
    const result = await wh.query(t, 'select n from silver.many order by n');
    expect(result.rows).toHaveLength(9000);
    const pages = server.recorder.pages.slice(before);
    expect(Math.max(...pages)).toBeLessThanOrEqual(2000);
    expect(pages.filter((p) => p > 0).length).toBeGreaterThanOrEqual(5);
  });

  it('normalises values: safe integers as numbers, unsafe as bigint, decimals, dates and timestamps', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    const result = await wh.query(
      t,
      `select cast(3 as tinyint) as tiny, cast(-9007199254740993 as bigint) as unsafe, sum(cast(range as bigint)) as total,
              cast(-12.345 as decimal(12,3)) as dec, cast('1999-12-31' as date) as d, cast('2024-02-29 23:59:58.5' as timestamp) as ts,
              cast(0.5 as double) as dbl, cast(null as varchar) as nothing
       from range(0, 4)`,
    );
    expect(result.rows).toEqual([
      { tiny: 3, unsafe: -9007199254740993n, total: 6, dec: -12.345, d: '1999-12-31', ts: '2024-02-29T23:59:58.500Z', dbl: 0.5, nothing: null },
    ]);
    expect(result.columns).toEqual([
      { name: 'tiny', type: 'tinyint' },
      { name: 'unsafe', type: 'bigint' },
      { name: 'total', type: 'bigint' },
      { name: 'dec', type: 'decimal(12,3)' },
      { name: 'd', type: 'date' },
      { name: 'ts', type: 'timestamp' },
      { name: 'dbl', type: 'double' },
      { name: 'nothing', type: 'string' },
    ]);
  });

  it('binds dates, timestamps, booleans and nulls as positional parameters', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    const result = await wh.query(t, 'select ? as at, ? as yes, ? as nothing, ? as big', [new Date('2024-07-01T10:11:12Z'), true, null, 12n]);
    expect(result.rows).toEqual([{ at: '2024-07-01T10:11:12.000Z', yes: true, nothing: null, big: 12 }]);
  });
});

describe('tenant boundaries', () => {
  it.each([
    ['switching catalog', 'use catalog kineo_t_0other'],
    ['a setting on a shared session', "set timezone = 'Europe/Paris'"],
    ['two statements', 'select 1; drop table bronze.people'],
    ['a system table', 'select * from system.access.audit'],
    ["another tenant's catalog", 'select * from kineo_t_0other.gold.scores'],
    ["another tenant's volume", "select * from read_files('/Volumes/kineo_t_0other/bronze/landing/users.csv')"],
  ])('refuses %s before sending it', async (_case, sql) => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    const before = server.recorder.statements.length;
    const error = await failure(wh.query(t, sql));
    expect(error.code).toBe('WAREHOUSE_QUERY_FAILED');
    expect(error.message).toMatch(/^Refused:/);
    expect(server.recorder.statements.length).toBe(before);
  });

  it('reports a tenant that was never provisioned', async () => {
    const error = await failure(warehouse().query(tenant(), 'select 1'));
    expect(error.code).toBe('WAREHOUSE_NOT_PROVISIONED');
  });

  it('serves only the gold tables a publish pinned, and only published versions', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    await wh.execute(t, 'create table gold.kept as select 1 as id');
    await wh.publish(t, 7);
    await wh.execute(t, 'create table gold.added_later as select 2 as id');
    expect((await wh.queryPublished(t, 'select id from gold.kept')).rows).toEqual([{ id: 1 }]);
    expect((await failure(wh.queryPublished(t, 'select id from gold.added_later'))).message).toMatch(/not part of published version 7/);
    expect((await failure(wh.queryPublished(t, 'select id from gold.kept', [], { version: 3 }))).code).toBe('WAREHOUSE_NOT_PUBLISHED');
    expect(await wh.tableCounts(t, 'gold')).toEqual([
      { layer: 'gold', table: 'added_later', rows: 1 },
      { layer: 'gold', table: 'kept', rows: 1 },
    ]);
  });

  it('checks a published query is read-only before sending anything', async () => {
    const wh = warehouse();
    const t = tenant();
    const before = server.recorder.requests.length;
    const error = await failure(wh.queryPublished(t, 'delete from gold.kept'));
    expect(error.code).toBe('WAREHOUSE_READ_ONLY');
    expect(server.recorder.requests.length).toBe(before);
  });
});

describe('session()', () => {
  it('keeps temporary views and settings across statements, and closes that session afterwards', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    const rows = await wh.session(t, async (s) => {
      await s.execute("set ansi_mode = 'true'");
      await s.execute('create temporary view staged as select 5 as id');
      return (await s.query('select id from staged')).rows;
    });
    expect(rows).toEqual([{ id: 5 }]);
    await waitFor(() => server.recorder.openSessions(catalogOf(t)).length === 0, 'the stateful session to be closed');
    await wh.query(t, 'select 1 as one');
    expect(server.recorder.sessionsOpened(catalogOf(t))).toHaveLength(2);
  });

  it('returns a session without state to the pool', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    await wh.session(t, (s) => s.query('select 1 as one'));
    await wh.query(t, 'select 2 as two');
    expect(server.recorder.sessionsOpened(catalogOf(t))).toHaveLength(1);
  });
});

describe('provisioning', () => {
  it('reports what it created and the grants for the tenant principals, and applies them when asked', async () => {
    const wh = warehouse({ grants: { reader: 'grp-{namespace}-readers', writer: (ns) => `sp-worker-${ns}`, apply: true } });
    const t = tenant();
    const report = await wh.provision(t);
    const catalog = catalogOf(t);
    expect(report.created).toEqual([catalog, `${catalog}.bronze`, `${catalog}.silver`, `${catalog}.gold`, `${catalog}.bronze.landing`]);
    expect(report.grants).toEqual([
      `GRANT USE CATALOG ON CATALOG ${catalog} TO \`grp-${t.namespace}-readers\``,
      `GRANT USE SCHEMA, SELECT ON SCHEMA ${catalog}.gold TO \`grp-${t.namespace}-readers\``,
      `GRANT USE CATALOG, USE SCHEMA, CREATE TABLE, SELECT, MODIFY, READ VOLUME, WRITE VOLUME ON CATALOG ${catalog} TO \`sp-worker-${t.namespace}\``,
    ]);
    expect(server.grants).toEqual(expect.arrayContaining(report.grants));
  });

  it('emits the grants without running them by default', async () => {
    const wh = warehouse();
    const t = tenant();
    const report = await wh.provision(t);
    expect(report.grants[0]).toBe(`GRANT USE CATALOG ON CATALOG ${catalogOf(t)} TO \`kineo-${t.namespace}-reader\``);
    expect(server.grants.filter((g) => g.includes(catalogOf(t)))).toEqual([]);
  });

  it('in a shared catalog, creates and grants the three tenant schemas and the landing volume', async () => {
    const wh = warehouse({ isolation: { mode: 'schema', catalog: 'kineo_shared' } });
    const t = tenant();
    const report = await wh.provision(t);
    const ns = t.namespace;
    expect(report.created).toEqual([`kineo_shared.${ns}_bronze`, `kineo_shared.${ns}_silver`, `kineo_shared.${ns}_gold`, `kineo_shared.${ns}_bronze.landing`]);
    expect(report.grants).toEqual([
      `GRANT USE CATALOG ON CATALOG kineo_shared TO \`kineo-${ns}-reader\``,
      `GRANT USE SCHEMA, SELECT ON SCHEMA kineo_shared.${ns}_gold TO \`kineo-${ns}-reader\``,
      `GRANT USE CATALOG ON CATALOG kineo_shared TO \`kineo-${ns}-writer\``,
      `GRANT USE SCHEMA, CREATE TABLE, SELECT, MODIFY, READ VOLUME, WRITE VOLUME ON SCHEMA kineo_shared.${ns}_bronze TO \`kineo-${ns}-writer\``,
      ...['silver', 'gold'].map((l) => `GRANT USE SCHEMA, CREATE TABLE, SELECT, MODIFY ON SCHEMA kineo_shared.${ns}_${l} TO \`kineo-${ns}-writer\``),
    ]);
    await wh.execute(t, 'create table bronze.people as select 1 as id');
    expect(server.recorder.statementsLike(/people/).map((s) => s.sql)).toEqual([`create table ${ns}_bronze.people as select 1 as id`]);
    expect((await failure(wh.query(t, 'select * from information_schema.tables'))).code).toBe('WAREHOUSE_QUERY_FAILED');
  });
});

describe('authentication', () => {
  class FakeEntraCredential implements TokenCredential {
    readonly scopes: string[] = [];
    private calls = 0;

    constructor(private readonly issued: Array<{ token: string; validForMs: number }>) {}

    async getToken(scopes: string | string[]): Promise<AccessToken> {
      this.scopes.push(...[scopes].flat());
      const next = this.issued[Math.min(this.calls++, this.issued.length - 1)];
      return { token: next.token, expiresOnTimestamp: Date.now() + next.validForMs };
    }
  }

  it('sends Entra ID tokens for Azure Databricks as the bearer token', async () => {
    server.hooks.acceptedTokens.add('entra-token-a');
    const credential = new FakeEntraCredential([{ token: 'entra-token-a', validForMs: 3_600_000 }]);
    const wh = warehouse({ auth: { kind: 'entra', credential } });
    const t = tenant();
    const before = server.recorder.requests.length;
    await wh.provision(t);
    await wh.query(t, 'select 1 as one');
    const bearers = new Set(server.recorder.requests.slice(before).map((r) => r.bearer));
    expect([...bearers]).toEqual(['entra-token-a']);
    expect(new Set(credential.scopes)).toEqual(new Set([AZURE_DATABRICKS_SCOPE]));
  });

  it('asks for a fresh token before the current one expires', async () => {
    server.hooks.acceptedTokens.add('entra-token-old');
    server.hooks.acceptedTokens.add('entra-token-new');
    // The first token is inside the driver's refresh window (5 minutes before expiry).
    const credential = new FakeEntraCredential([
      { token: 'entra-token-old', validForMs: 120_000 },
      { token: 'entra-token-new', validForMs: 3_600_000 },
    ]);
    const wh = warehouse({ auth: { kind: 'entra', credential } });
    const t = tenant();
    const before = server.recorder.requests.length;
    await wh.provision(t);
    await wh.query(t, 'select 1 as one');
    const bearers = server.recorder.requests.slice(before).map((r) => r.bearer);
    expect(bearers[0]).toBe('entra-token-old');
    expect(bearers.at(-1)).toBe('entra-token-new');
  });

  it('refuses a wrong token with a message that does not repeat it', async () => {
    const wh = warehouse({ auth: { kind: 'token', token: 'dapi0123456789abcdef0123456789abcdef' } });
    const error = await failure(wh.isProvisioned(tenant()));
    expect(error.code).toBe('WAREHOUSE_UNAVAILABLE');
    expect(error.message).toMatch(/refused the credentials/);
    expect(error.message).not.toContain('dapi0123');
    expect(server.recorder.requests.at(-1)?.status).toBe(401);
  });
});

describe('deriving a version', () => {
  it("runs its statements on the source version's pinned Delta versions, restores the working tables they rewrote, and copies no data", async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    await wh.execute(t, 'create or replace table gold.facts as select * from (values (1), (2)) as v(x)');
    await wh.execute(t, 'create or replace table gold.rollup as select 0 as n');
    await wh.publish(t, 1);
    await wh.execute(t, 'create or replace table gold.facts as select * from (values (1), (2), (3)) as v(x)');
    const before = server.recorder.statements.length;
    await wh.deriveVersion(t, 1, 2, ['create or replace table gold.rollup as select count(*) as n from gold.facts']);
    const sent = server.recorder.statements.slice(before).map((s) => s.sql);
    const rewrite = sent.find((sql) => /^CREATE OR REPLACE TABLE/.test(sql));
    expect(rewrite).toMatch(new RegExp(`^CREATE OR REPLACE TABLE ${catalogOf(t)}\\.gold\\.rollup AS .*from gold\\.facts VERSION AS OF \\d+$`));
    expect(sent.filter((sql) => /^RESTORE TABLE/.test(sql))).toEqual([expect.stringMatching(new RegExp(`^RESTORE TABLE ${catalogOf(t)}\\.gold\\.rollup TO VERSION AS OF \\d+$`))]);
    // Nothing but the rewritten table is written: the other tables of version 2 are version 1's pins.
    expect(sent.filter((sql) => /^(create|insert|merge|update)\b/i.test(sql) && !/_kineo_/.test(sql))).toEqual([rewrite]);
    expect((await wh.queryPublished(t, 'select n from gold.rollup', [], { version: 2 })).rows).toEqual([{ n: 2 }]);
    expect((await wh.query(t, 'select n from gold.rollup')).rows).toEqual([{ n: 0 }]);
  });

  it('tries a failed RESTORE once more, and returns the working tables it still could not put back while the derived version stays right', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    await wh.execute(t, 'create or replace table gold.facts as select * from (values (1), (2)) as v(x)');
    await wh.execute(t, 'create or replace table gold.rollup as select 0 as n');
    await wh.execute(t, 'create or replace table gold.rollup_total as select 0 as total');
    await wh.publish(t, 1);
    const denied = '[PERMISSION_DENIED] User does not have MODIFY on Table. SQLSTATE: 42501';
    server.hooks.failStatements(/^RESTORE TABLE \S+\.rollup TO/, denied, 2);
    server.hooks.failStatements(/^RESTORE TABLE \S+\.rollup_total TO/, '[DELTA_CONCURRENT_WRITE] ConcurrentWriteException. SQLSTATE: 2D521', 1);
    const before = server.recorder.statements.length;
    const derived = await wh.deriveVersion(t, 1, 2, [
      'create or replace table gold.rollup as select count(*) as n from gold.facts',
      'create or replace table gold.rollup_total as select sum(x) as total from gold.facts',
    ]);
    const restores = server.recorder.statements.slice(before).filter((s) => /^RESTORE TABLE/.test(s.sql));
    expect(restores.map((s) => [s.sql.replace(/^RESTORE TABLE \S+\.(\w+) TO.*$/, '$1'), s.state])).toEqual([
      ['rollup', 'error'],
      ['rollup', 'error'],
      ['rollup_total', 'error'],
      ['rollup_total', 'finished'],
    ]);
    expect(derived.unrestored).toEqual([{ table: 'rollup', version: expect.any(Number), error: expect.stringContaining('PERMISSION_DENIED') }]);
    // The version is the derivation's; rollup_total is back; rollup keeps the derivation's content.
    expect((await wh.queryPublished(t, 'select n from gold.rollup', [], { version: 2 })).rows).toEqual([{ n: 2 }]);
    expect((await wh.query(t, 'select total from gold.rollup_total')).rows).toEqual([{ total: 0 }]);
    expect((await wh.query(t, 'select n from gold.rollup')).rows).toEqual([{ n: 2 }]);
  });

  it("pins the Delta versions a build recorded, whatever wrote the working tables since, and refuses pins it cannot honour, naming the table", async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    await wh.execute(t, 'create or replace table gold.facts as select 1 as x');
    await wh.execute(t, 'create or replace table gold.rollup as select 1 as n');
    const built = await wh.tableVersions(t, 'gold', ['facts', 'rollup']);
    expect(built).toEqual({ facts: expect.any(Number), rollup: expect.any(Number) });
    // Written after the build's stage recorded it (a refresh whose RESTORE failed): not the build's.
    await wh.execute(t, 'create or replace table gold.rollup as select 99 as n');
    await wh.prepareVersion(t, 1, built!);
    await wh.publish(t, 1);
    expect((await wh.queryPublished(t, 'select n from gold.rollup')).rows).toEqual([{ n: 1 }]);
    expect((await wh.queryPublished(t, 'select x from gold.facts')).rows).toEqual([{ x: 1 }]);

    expect((await failure(wh.prepareVersion(t, 2, { gone: 0 }))).message).toMatch(/gold\.gone, written by the build at Delta version 0, is no longer a table/);
    expect((await failure(wh.prepareVersion(t, 2, { rollup: -1 }))).code).toBe('WAREHOUSE_VERSION_INVALID');
    expect((await failure(wh.tableVersions(t, 'gold', ['_kineo_published']))).code).toBe('WAREHOUSE_IDENTIFIER_INVALID');
    expect((await failure(wh.tableVersions(t, 'gold', ['nope']))).message).toContain('nope');
  });

  it('refuses a statement that is not a whole rewrite of a gold table from gold, before running any', async () => {
    const wh = warehouse();
    const t = tenant();
    await wh.provision(t);
    await wh.execute(t, 'create or replace table gold.facts as select 1 as x');
    await wh.publish(t, 1);
    for (const sql of [
      // An insert would change the working table, not the version; a plain create fails where the working gold has the table.
      'insert into gold.rollup select 1',
      'create table gold.rollup2 as select 1 as n',
      'create or replace table gold._kineo_published as select 1 as n',
      'create or replace table silver.rollup as select 1 as n',
      // Only gold.<t> is pinned: silver is in no version, and gold named through its catalog would be read as it is now.
      'create or replace table gold.rollup as select count(*) as n from silver.people',
      `create or replace table gold.rollup as select count(*) as n from ${catalogOf(t)}.gold.facts`,
    ]) {
      const before = server.recorder.statements.length;
      const error = await failure(wh.deriveVersion(t, 1, 2, ['create or replace table gold.ok as select 1 as n', sql]));
      expect([sql, error.code, error.message]).toEqual([sql, 'WAREHOUSE_QUERY_FAILED', expect.stringMatching(/^Refused/)]);
      expect(server.recorder.statements.slice(before)).toEqual([]);
    }
    await expect(wh.queryPublished(t, 'select 1 as x', [], { version: 2 })).rejects.toMatchObject({ code: 'WAREHOUSE_NOT_PUBLISHED' });
  });
});
