import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DuckDbWarehouse } from '@kineo/warehouse';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { runCli, runCliPiped } from './run-cli';
import { startWorkerProcess, stopProcess } from './worker-process';

const BIG_ROWS = 60_000;

describe("a tenant's warehouse through the CLI", () => {
  let stack: TestStack;
  let worker: ChildProcess | undefined;
  const tenants: Record<string, { id: string; namespace: string }> = {};

  beforeAll(async () => {
    stack = await startTestStack();
    worker = await startWorkerProcess(stack.env);
    for (const slug of ['acme', 'globex']) {
      const created = await runCli(['tenant', 'create', slug, '--name', slug, '--wait', '--json'], stack.env);
      expect(created.stderr).toBe('');
      const tenant = JSON.parse(created.stdout);
      expect(tenant.status).toBe('active');
      tenants[slug] = { id: tenant.id, namespace: tenant.namespace };
    }
    // The worker is the only writer of a working area; stop it while the test plays the pipeline.
    await stopProcess(worker);
    const warehouse = new DuckDbWarehouse({ rootDir: path.join(stack.env.KINEO_DATA_DIR, 'warehouse'), threads: 1 });
    for (const [slug, t] of Object.entries(tenants)) {
      const ref = { tenantId: t.id, namespace: t.namespace };
      await warehouse.execute(ref, `create table bronze.users as select range as id, '${slug}-' || range as username from range(3)`);
      await warehouse.execute(ref, "create table gold.dim_user as select id as user_key, username, 'Quote \"me\", please' as note from bronze.users");
      if (slug === 'acme') {
        // Over 5 MB as CSV: far more than a pipe buffers, so a CLI that exits early loses rows.
        await warehouse.execute(ref, `create table gold.activity as select range as id, repeat('x', 100) as pad from range(${BIG_ROWS})`);
      }
      if (slug === 'acme') await warehouse.execute(ref, "create table gold.release as select 'first' as label");
      await warehouse.publish(ref, 1);
      if (slug === 'acme') {
        await warehouse.execute(ref, "create or replace table gold.release as select 'second' as label");
        await warehouse.publish(ref, 2);
      }
    }
    await warehouse.close();
    worker = await startWorkerProcess(stack.env);
  });

  afterAll(async () => {
    await stopProcess(worker);
    await stack?.stop();
  });

  it("shows a tenant's published gold as a table", async () => {
    const result = await runCli(['sql', 'acme', 'select user_key, username from gold.dim_user order by user_key'], stack.env);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(['USER_KEY  USERNAME', '0         acme-0', '1         acme-1', '2         acme-2', '(3 rows)', ''].join('\n'));
  });

  it('prints CSV and JSON lines for machines', async () => {
    const csv = await runCli(['sql', 'acme', 'select user_key, note from gold.dim_user where user_key = 0', '--csv'], stack.env);
    expect(csv.stdout).toBe('user_key,note\r\n0,"Quote ""me"", please"\r\n');
    const json = await runCli(['sql', 'globex', 'select username from gold.dim_user order by 1', '--json'], stack.env);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { username: 'globex-0' },
      { username: 'globex-1' },
      { username: 'globex-2' },
    ]);
  });

  it('writes a large result whole into a pipe', async () => {
    const args = ['sql', 'acme', 'select id, pad from gold.activity order by id'];
    let csvBytes = 'id,pad\r\n'.length;
    for (let id = 0; id < BIG_ROWS; id++) csvBytes += String(id).length + 1 + 100 + 2;
    expect(csvBytes).toBeGreaterThan(5 * 1024 * 1024);
    const csv = await runCliPiped([...args, '--csv'], 'wc -c', stack.env);
    expect(csv.stderr).toBe('');
    expect(csv.code).toBe(0);
    expect(Number(csv.stdout.trim())).toBe(csvBytes);

    const json = await runCliPiped([...args, '--json'], 'wc -l', stack.env);
    expect(json.stderr).toBe('');
    expect(Number(json.stdout.trim())).toBe(BIG_ROWS);
  });

  it('stops quietly when the reader closes the pipe early', async () => {
    const result = await runCliPiped(['sql', 'acme', 'select id, pad from gold.activity order by id', '--csv'], 'head -n 1', stack.env);
    expect(result.stdout).toBe('id,pad\r\n');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('queries an older published data version on request', async () => {
    const query = ['sql', 'acme', 'select label from gold.release', '--json'];
    expect((await runCli(query, stack.env)).stdout).toBe('{"label":"second"}\n');
    const older = await runCli([...query, '--data-version', '1'], stack.env);
    expect(older.stderr).toBe('');
    expect(older.stdout).toBe('{"label":"first"}\n');
    const missing = await runCli([...query, '--data-version', '9'], stack.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^kineo: Version 9 of t_\w+ is not available\.$/m);
    const bad = await runCli([...query, '--data-version', 'latest'], stack.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('a published data version: a whole number from 1');
  });

  it('lets ops read a working layer, still read-only', async () => {
    const result = await runCli(['sql', 'acme', 'select count(*) as n from bronze.users', '--layer', 'bronze', '--json'], stack.env);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ n: 3 });
  });

  it.each([
    ['an update', 'update gold.dim_user set username = null', /only a single SELECT statement is allowed/],
    ['two statements', 'select 1; drop table gold.dim_user', /only a single SELECT statement is allowed/],
    ['another tenant by namespace', 'select * from NS.gold.dim_user', /name tables by layer/],
    ['a working layer without --layer', 'select * from bronze.users', /bronze\.users is not a table this query may read/],
    ['a file', "select * from read_csv('/etc/passwd')", /read_csv\(\) is not allowed/],
  ])('refuses %s, with a clear message', async (_case, sql, message) => {
    const result = await runCli(['sql', 'acme', sql.replace('NS', tenants.globex.namespace)], stack.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('reports a bad query without internals', async () => {
    const result = await runCli(['sql', 'acme', 'select nope from gold.dim_user'], stack.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^kineo: .*nope/);
    expect(result.stderr).not.toMatch(/\.duckdb|\/tmp\//);
  });

  it('records every read of tenant data by ops in the audit log', async () => {
    const shown = JSON.parse((await runCli(['tenant', 'show', 'acme', '--json'], stack.env)).stdout);
    expect(shown.auditEvents.some((e: { action: string }) => e.action === 'tenant.sql')).toBe(true);
  });

  it('offboards only with the slug confirmed, keeping row counts as evidence', async () => {
    const refused = await runCli(['tenant', 'offboard', 'globex', '--confirm', 'acme'], stack.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--confirm must repeat the slug exactly');

    const done = await runCli(['tenant', 'offboard', 'globex', '--confirm', 'globex', '--json'], stack.env);
    expect(done.stderr).toBe('');
    expect(JSON.parse(done.stdout)).toEqual({ slug: 'globex', status: 'offboarded', tables: 2, rows: 6, landing: { store: 'local', files: 0, bytes: 0 } });
    const shown = JSON.parse((await runCli(['tenant', 'show', 'globex', '--json'], stack.env)).stdout);
    expect(shown.status).toBe('offboarded');
    const evidence = shown.auditEvents.find((e: { action: string }) => e.action === 'tenant.offboard.evidence');
    expect(evidence.details.tables).toEqual([
      { layer: 'bronze', table: 'users', rows: 3 },
      { layer: 'gold', table: 'dim_user', rows: 3 },
    ]);
    const gone = await runCli(['sql', 'globex', 'select 1 as x'], stack.env);
    expect(gone.stderr).toContain('has been offboarded');
    // The other tenant is untouched.
    expect((await runCli(['sql', 'acme', 'select count(*) as n from gold.dim_user', '--json'], stack.env)).stdout.trim()).toBe('{"n":3}');
  });
});
