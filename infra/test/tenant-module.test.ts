import * as path from 'node:path';
import { DatabricksWarehouse } from '../../libs/warehouse/src/databricks';
import { startDatabricksTestServer, type DatabricksTestServer } from '../../libs/warehouse/test/databricks-server';
import { loadTerraformDir, TERRAFORM_ROOT, TerraformEvaluator, type TerraformDir } from './terraform.util';

/** One privilege on one securable for one principal: the unit both sides are compared in. */
type Grant = `${string} ON ${'CATALOG' | 'SCHEMA'} ${string} TO ${string}`;

/** Splits the provisioning job's GRANT statements into single privileges, Terraform's spelling (USE_CATALOG). */
function grantsFromSql(statements: readonly string[]): Grant[] {
  return statements.flatMap((sql) => {
    const m = /^GRANT (.+) ON (CATALOG|SCHEMA) (\S+) TO `([^`]+)`$/.exec(sql.trim());
    if (!m) throw new Error(`unexpected grant statement: ${sql}`);
    return m[1]!.split(',').map((p) => `${p.trim().replace(/ /g, '_')} ON ${m[2]} ${m[3]} TO ${m[4]}` as Grant);
  });
}

/** The catalog, schemas, volume and grants the tenant module declares for one namespace. */
function declaredByModule(tf: TerraformDir, namespace: string) {
  const evaluator = new TerraformEvaluator(tf, { namespace, environment: 'test', owner: 'test' });
  const of = (type: string) => tf.resources.filter((r) => r.type === type);
  const objects: string[] = [];
  for (const r of of('databricks_catalog')) objects.push(String(evaluator.evaluate(r.body.name)));
  for (const r of of('databricks_schema')) {
    for (const key of evaluator.instances(r.body)) objects.push(`${evaluator.evaluate(r.body.catalog_name, key)}.${evaluator.evaluate(r.body.name, key)}`);
  }
  for (const r of of('databricks_volume')) {
    objects.push([r.body.catalog_name, r.body.schema_name, r.body.name].map((v) => evaluator.evaluate(v)).join('.'));
  }
  const grants: Grant[] = [];
  for (const r of of('databricks_grants')) {
    const kind = r.body.catalog !== undefined ? 'CATALOG' : r.body.schema !== undefined ? 'SCHEMA' : undefined;
    if (!kind) throw new Error(`databricks_grants.${r.name} grants on something provisioning never grants on`);
    const securable = String(evaluator.evaluate(r.body[kind.toLowerCase()]));
    for (const grant of r.body.grant as { principal: string; privileges: string[] }[]) {
      const principal = String(evaluator.evaluate(grant.principal));
      for (const privilege of grant.privileges) grants.push(`${privilege} ON ${kind} ${securable} TO ${principal}`);
    }
  }
  return { objects: objects.sort(), grants: grants.sort() };
}

let server: DatabricksTestServer;
let tenantModule: TerraformDir;

beforeAll(async () => {
  [server, tenantModule] = await Promise.all([startDatabricksTestServer(), loadTerraformDir(path.join(TERRAFORM_ROOT, 'modules/tenant'))]);
});

afterAll(async () => {
  await server?.close();
});

test('the tenant module declares exactly what the provisioning job creates and grants for the same tenant', async () => {
  const namespace = 't_tf0001';
  const warehouse = new DatabricksWarehouse({ ...server.connection, retryBackoffMs: 10, grants: { apply: true } });
  try {
    const report = await warehouse.provision({ tenantId: '00000000-0000-4000-8000-000000000001', namespace });
    const declared = declaredByModule(tenantModule, namespace);

    expect(declared.objects).toEqual([...report.created].sort());
    expect(report.created).toEqual(expect.arrayContaining([`kineo_${namespace}`, `kineo_${namespace}.gold`, `kineo_${namespace}.bronze.landing`]));
    // What the server received, not only what the driver reports: the grants were run.
    expect(declared.grants).toEqual(grantsFromSql(server.grants).sort());
    expect(declared.grants).toEqual(grantsFromSql(report.grants).sort());
  } finally {
    await warehouse.close();
  }
});

test('the module follows the namespace it is given, as provisioning does', () => {
  const a = declaredByModule(tenantModule, 't_alpha');
  const b = declaredByModule(tenantModule, 't_beta');
  expect(a.objects).toContain('kineo_t_alpha.bronze.landing');
  expect(b.grants.join('\n')).not.toContain('t_alpha');
});
