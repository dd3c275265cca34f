import type { DatabricksWarehouseOptions } from '../../src/databricks';
import type { TenantNamespace, Warehouse } from '../../src';

/**
 * A real workspace from the environment (npm run test:databricks checks the variables first).
 * Catalog isolation uses catalogs `kineo_test_<namespace>`, never a real tenant's `kineo_<namespace>`;
 * with DATABRICKS_SHARED_CATALOG the tenants are schemas in that catalog, as DATABRICKS_ISOLATION=schema.
 */
export function workspaceOptions(landingRoot: string): DatabricksWarehouseOptions {
  const env = (name: string) => {
    const value = process.env[name]?.trim();
    if (!value) throw new Error(`${name} is not set; run this suite with "npm run test:databricks"`);
    return value;
  };
  const shared = process.env.DATABRICKS_SHARED_CATALOG?.trim();
  // A host may come as a URL, or with a port (a proxy in front of the workspace).
  const host = new URL(`https://${env('DATABRICKS_HOST').replace(/^https:\/\//, '')}`);
  return {
    host: host.hostname,
    ...(host.port ? { port: Number(host.port) } : {}),
    path: env('DATABRICKS_HTTP_PATH'),
    auth: { kind: 'token', token: env('DATABRICKS_TOKEN') },
    isolation: shared ? { mode: 'schema', catalog: shared } : { mode: 'catalog', catalogPrefix: 'kineo_test_' },
    landingRoot,
  };
}

/**
 * Refuses to go on when a namespace the suite is about to create exists already: the suite drops
 * what it creates, and must never drop what it did not (a real tenant, or another run's data).
 */
export async function assertAbsent(warehouse: Pick<Warehouse, 'isProvisioned'>, tenants: TenantNamespace[]): Promise<void> {
  const present: string[] = [];
  for (const tenant of tenants) if (await warehouse.isProvisioned(tenant)) present.push(tenant.namespace);
  if (present.length > 0) {
    throw new Error(
      `The workspace already has the test namespace(s) ${present.join(', ')}. This suite creates and drops its own ` +
        'namespaces and will not touch existing ones: drop them if an interrupted run left them, or use another catalog.',
    );
  }
}
