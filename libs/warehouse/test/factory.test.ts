import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSecretStore, loadSettings } from '@kineo/config';
import { createWarehouse, DatabricksWarehouse, DuckDbWarehouse } from '../src';

describe('choosing the warehouse from settings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-factory-'));
  const secrets = new FileSecretStore(path.join(dir, 'secrets'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('uses embedded DuckDB by default, under the data directory', async () => {
    const warehouse = await createWarehouse(loadSettings({ KINEO_DATA_DIR: dir }), secrets, 'reader');
    expect(warehouse).toBeInstanceOf(DuckDbWarehouse);
    expect((warehouse as DuckDbWarehouse).tenantDir({ tenantId: 'x', namespace: 't_000001' })).toBe(path.join(dir, 'warehouse', 't_000001'));
    await warehouse.close();
  });

  it('refuses Databricks without its workspace settings, naming them', () => {
    expect(() => loadSettings({ WAREHOUSE_ENGINE: 'databricks' })).toThrow(/DATABRICKS_HOST: is required when WAREHOUSE_ENGINE=databricks[\s\S]*DATABRICKS_HTTP_PATH/);
  });

  it('needs the access token in the secret store for token auth, and says which secret', async () => {
    const settings = loadSettings({ WAREHOUSE_ENGINE: 'databricks', DATABRICKS_HOST: 'adb-1.azuredatabricks.net', DATABRICKS_HTTP_PATH: '/sql/1.0/warehouses/x', KINEO_DATA_DIR: dir });
    await expect(createWarehouse(settings, secrets, 'worker')).rejects.toThrow('needs the secret "databricks-token" in the secret store (file)');
    await secrets.set('databricks-token', 'dapi-test');
    const warehouse = await createWarehouse(settings, secrets, 'worker');
    expect(warehouse).toBeInstanceOf(DatabricksWarehouse);
    await warehouse.close();
  });

  it('names an unreadable DATABRICKS_CA_CERT_FILE, and refuses a port that is not one', async () => {
    await secrets.set('databricks-token', 'dapi-test');
    const base = { WAREHOUSE_ENGINE: 'databricks', DATABRICKS_HOST: 'adb-1.azuredatabricks.net', DATABRICKS_HTTP_PATH: '/sql/1.0/warehouses/x', KINEO_DATA_DIR: dir };
    const missing = `${dir}/no-such-ca.pem`;
    await expect(createWarehouse(loadSettings({ ...base, DATABRICKS_CA_CERT_FILE: missing }), secrets, 'reader')).rejects.toThrow(
      `DATABRICKS_CA_CERT_FILE: cannot read the CA certificate ${missing}`,
    );
    expect(() => loadSettings({ ...base, DATABRICKS_PORT: '70000' })).toThrow(/DATABRICKS_PORT/);
  });

  it("gives a reader's DuckDB databases DUCKDB_READER_MEMORY_LIMIT, and the worker's DUCKDB_MEMORY_LIMIT", async () => {
    const settings = loadSettings({ KINEO_DATA_DIR: dir, DUCKDB_MEMORY_LIMIT: '300MB', DUCKDB_READER_MEMORY_LIMIT: '100MB' });
    const tenant = { tenantId: 'x', namespace: 't_000003' };
    const limit = "select current_setting('memory_limit') as m";
    const worker = await createWarehouse(settings, secrets, 'worker');
    await worker.provision(tenant);
    expect((await worker.query(tenant, limit)).rows).toEqual([{ m: expect.stringMatching(/^(286\.1 MiB|300\.0 MB)$/) }]);
    await worker.close();
    const reader = await createWarehouse(settings, secrets, 'reader');
    // Snapshots open with the same instance settings; a published query may not call current_setting.
    expect((await reader.query(tenant, limit)).rows).toEqual([{ m: expect.stringMatching(/^(95\.3 MiB|100\.0 MB)$/) }]);
    await reader.close();
  });

  it('lets a load or build statement run past the readers\' time limit, and stops a reader\'s at it', async () => {
    const settings = loadSettings({ KINEO_DATA_DIR: dir, WAREHOUSE_STATEMENT_TIMEOUT_MS: '100', WAREHOUSE_BUILD_STATEMENT_TIMEOUT_MS: '600000' });
    const tenant = { tenantId: 'x', namespace: 't_000002' };
    const slow = 'select sum(i) as n from range(1000000000) t(i)';
    const worker = await createWarehouse(settings, secrets, 'worker');
    await worker.provision(tenant);
    await expect(worker.query(tenant, slow)).resolves.toMatchObject({ rows: [{ n: expect.anything() }] });
    await worker.close();
    const reader = await createWarehouse(settings, secrets, 'reader');
    await expect(reader.query(tenant, slow)).rejects.toMatchObject({ code: 'WAREHOUSE_TIMEOUT' });
    await reader.close();
  });
});
