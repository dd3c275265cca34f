#!/usr/bin/env node
// Gate of the opt-in suites against a real Databricks workspace (npm run test:databricks): they
// need a workspace to talk to, and say so plainly instead of appearing as skipped tests.
const required = ['DATABRICKS_HOST', 'DATABRICKS_TOKEN', 'DATABRICKS_HTTP_PATH'];
const missing = required.filter((name) => !process.env[name]?.trim());
if (missing.length > 0) {
  process.stderr.write(
    `The Databricks workspace suite needs ${missing.join(', ')} (not set).\n` +
      'Set DATABRICKS_HOST (e.g. adb-1234567890123456.7.azuredatabricks.net), DATABRICKS_HTTP_PATH (the SQL\n' +
      "warehouse's HTTP path, e.g. /sql/1.0/warehouses/abcdef0123456789) and DATABRICKS_TOKEN (a personal access\n" +
      'token); see "Tests against a real Databricks workspace" in docs/development.md.\n',
  );
  process.exit(1);
}
