import { spawnSync } from 'node:child_process';
import path from 'node:path';

const gate = path.join(__dirname, '..', '..', '..', 'scripts', 'require-databricks-workspace.mjs');
const VARIABLES = ['DATABRICKS_HOST', 'DATABRICKS_TOKEN', 'DATABRICKS_HTTP_PATH'];

function runGate(set: Record<string, string>) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !VARIABLES.includes(name)));
  return spawnSync(process.execPath, [gate], { env: { ...env, ...set }, encoding: 'utf8' });
}

describe('npm run test:databricks without a workspace', () => {
  it('stops with a message naming the variables that are missing and where the suite is described', () => {
    const result = runGate({ DATABRICKS_HOST: 'adb-1.2.azuredatabricks.net', DATABRICKS_TOKEN: '  ' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^The Databricks workspace suite needs DATABRICKS_TOKEN, DATABRICKS_HTTP_PATH \(not set\)\./);
    expect(result.stderr).toContain('docs/development.md');
  });

  it('lets the suite run when all three are set', () => {
    const result = runGate({ DATABRICKS_HOST: 'adb-1.2.azuredatabricks.net', DATABRICKS_TOKEN: 'dapi0', DATABRICKS_HTTP_PATH: '/sql/1.0/warehouses/x' });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
