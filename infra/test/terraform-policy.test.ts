import * as path from 'node:path';
import { QUEUES } from '../../libs/jobs/src/definitions';
import { loadAllTerraform, relative, walkAttributes, type TerraformDir } from './terraform.util';

let dirs: TerraformDir[];
const byPath = (suffix: string) => {
  const found = dirs.find((d) => relative(d.dir) === `terraform/${suffix}`);
  if (!found) throw new Error(`terraform/${suffix} is missing`);
  return found;
};
const resourcesOf = (type: string) =>
  dirs.flatMap((d) => d.resources.filter((r) => r.type === type).map((r) => ({ ...r, where: `${relative(d.dir, r.file)} ${r.type}.${r.name}` })));

beforeAll(async () => {
  dirs = await loadAllTerraform();
});

test('every module and environment is present', () => {
  expect(dirs.map((d) => relative(d.dir))).toEqual([
    'terraform/environments/dev',
    'terraform/environments/prod',
    'terraform/modules/databricks',
    'terraform/modules/environment',
    'terraform/modules/platform',
    'terraform/modules/tenant',
  ]);
});

describe('no public network access to the data services', () => {
  test.each([
    ['azurerm_postgresql_flexible_server'],
    ['azurerm_redis_cache'],
    ['azurerm_key_vault'],
    ['azurerm_storage_account'],
  ])('%s', (type) => {
    const found = resourcesOf(type);
    expect(found.length).toBeGreaterThan(0);
    for (const r of found) expect([r.where, r.body.public_network_access_enabled]).toEqual([r.where, false]);
  });

  test('PostgreSQL is VNet-integrated and keeps point-in-time and geo-redundant backups configurable', () => {
    const [pg] = resourcesOf('azurerm_postgresql_flexible_server');
    expect(pg!.body.delegated_subnet_id).toMatch(/azurerm_subnet\./);
    expect(pg!.body.backup_retention_days).toBe('${var.postgres_backup_retention_days}');
    expect(pg!.body.geo_redundant_backup_enabled).toBe('${var.postgres_geo_redundant_backup}');
    expect(JSON.stringify(pg!.body.dynamic)).toContain('var.postgres_high_availability');
  });

  test('Key Vault uses RBAC, purge protection and denies the network by default', () => {
    for (const kv of resourcesOf('azurerm_key_vault')) {
      expect(kv.body).toMatchObject({ enable_rbac_authorization: true, purge_protection_enabled: true });
      expect(kv.body.network_acls).toEqual([expect.objectContaining({ default_action: 'Deny' })]);
    }
  });

  test('storage allows no anonymous blobs and no shared keys', () => {
    for (const st of resourcesOf('azurerm_storage_account')) {
      expect(st.body).toMatchObject({ allow_nested_items_to_be_public: false, shared_access_key_enabled: false, https_traffic_only_enabled: true });
    }
    for (const c of resourcesOf('azurerm_storage_container')) expect([c.where, c.body.container_access_type]).toEqual([c.where, 'private']);
  });
});

test('TLS 1.2 is the minimum wherever the service lets us choose', () => {
  for (const r of resourcesOf('azurerm_redis_cache')) expect(r.body).toMatchObject({ minimum_tls_version: '1.2', non_ssl_port_enabled: false });
  for (const r of resourcesOf('azurerm_storage_account')) expect(r.body.min_tls_version).toBe('TLS1_2');
});

// azurerm resources that accept a `tags` argument; sub-resources (subnets, role assignments,
// containers, databases, associations) take none.
const UNTAGGABLE = new Set([
  'azurerm_subnet',
  'azurerm_role_assignment',
  'azurerm_storage_container',
  'azurerm_postgresql_flexible_server_database',
  'azurerm_postgresql_flexible_server_active_directory_administrator',
  'azurerm_subnet_network_security_group_association',
  'azurerm_storage_management_policy',
]);

test('every taggable Azure resource carries local.tags (environment and owner)', () => {
  const untagged: string[] = [];
  for (const d of dirs) {
    for (const r of d.resources) {
      if (!r.type.startsWith('azurerm_') || UNTAGGABLE.has(r.type)) continue;
      if (r.body.tags !== '${local.tags}') untagged.push(`${relative(d.dir, r.file)} ${r.type}.${r.name}`);
    }
    if (d.resources.some((r) => r.body.tags === '${local.tags}')) {
      const tags = String(d.locals.tags);
      expect([relative(d.dir), tags]).toEqual([relative(d.dir), expect.stringMatching(/environment\s*=\s*var\.environment[\s\S]*owner\s*=\s*var\.owner/)]);
    }
  }
  expect(untagged).toEqual([]);
});

describe('no secret in any file', () => {
  const SECRETISH = /(password|secret|token|access_key|client_secret|connection_string)$/i;

  test('no secret-like attribute holds a literal string', () => {
    const literal: string[] = [];
    for (const d of dirs) {
      for (const r of d.resources) {
        for (const [at, value] of walkAttributes(r.body)) {
          const key = at[at.length - 1]!;
          if (SECRETISH.test(key) && typeof value === 'string' && !value.includes('${')) {
            literal.push(`${relative(d.dir, r.file)} ${r.type}.${r.name}.${at.join('.')}`);
          }
        }
      }
    }
    expect(literal).toEqual([]);
  });

  test('Key Vault holds the secrets the platform reads, by name, with values kept out of Terraform', () => {
    const platform = byPath('modules/platform');
    // libs/config keyVaultSecretName(): "-" is stored as "--".
    expect(platform.locals.platform_secrets).toEqual({ databricks_token: 'databricks--token' });
    const placeholder = platform.resources.find((r) => r.type === 'azurerm_key_vault_secret' && r.name === 'platform')!;
    expect(placeholder.body.lifecycle).toEqual([expect.objectContaining({ ignore_changes: ['${value}', '${expiration_date}'] })]);
  });

  test('the session signing key is generated into Key Vault, longer than the gateway requires, and rotation is left alone', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(path.join(__dirname, '../../libs/auth/src/session-token.service.ts'), 'utf8');
    const required = Number(/const SECRET_MIN_LENGTH = (\d+);/.exec(source)?.[1]);
    expect(required).toBeGreaterThanOrEqual(32);
    const platform = byPath('modules/platform');
    const generated = platform.resources.find((r) => r.type === 'random_password' && r.name === 'auth_jwt_secret')!;
    expect(Number(generated.body.length)).toBeGreaterThanOrEqual(Math.max(48, required));
    const secret = platform.resources.find((r) => r.type === 'azurerm_key_vault_secret' && r.name === 'auth_jwt_secret')!;
    expect(secret.body).toMatchObject({ name: 'auth--jwt--secret', value: '${random_password.auth_jwt_secret.result}', key_vault_id: '${azurerm_key_vault.platform.id}' });
    // An operator's rotation writes a new version; a later apply must not put the generated one back.
    expect(secret.body.lifecycle).toEqual([expect.objectContaining({ ignore_changes: ['${value}', '${expiration_date}'] })]);
  });

  test("an environment created with the placeholder signing key keeps its key: the state moves, nothing is re-created", () => {
    const platform = byPath('modules/platform');
    // The first version declared it as platform["auth_jwt_secret"]; a delete could not be purged (purge protection).
    expect(platform.moved).toContainEqual({ from: '${azurerm_key_vault_secret.platform["auth_jwt_secret"]}', to: '${azurerm_key_vault_secret.auth_jwt_secret}' });
    for (const { from, to } of platform.moved) {
      const key = /\["(\w+)"\]/.exec(from)?.[1];
      // What moved away is no longer declared where it came from, and where it went is declared.
      if (key) expect(Object.keys(platform.locals.platform_secrets as object)).not.toContain(key);
      const [type, name] = to.replace(/^\$\{|\}$/g, '').split('.');
      expect(platform.resources.some((r) => r.type === type && r.name === name)).toBe(true);
    }
  });

  test('a variable whose name says secret is marked sensitive', () => {
    for (const d of dirs) {
      for (const [name, v] of Object.entries(d.variables)) {
        if (SECRETISH.test(name)) expect([relative(d.dir), name, v.sensitive]).toEqual([relative(d.dir), name, true]);
      }
    }
  });

  test('no tfvars file with values is committed, only examples of ids', async () => {
    const { execFileSync } = await import('node:child_process');
    const tracked = execFileSync('git', ['ls-files', 'terraform'], { encoding: 'utf8' }).split('\n');
    expect(tracked.filter((f) => f.endsWith('.tfvars') || f.endsWith('.tfstate'))).toEqual([]);
  });
});

test("every environment's variable is in its terraform.tfvars.example, set or commented with its default", async () => {
  const { readFile } = await import('node:fs/promises');
  const missing: string[] = [];
  for (const env of ['dev', 'prod']) {
    const d = byPath(`environments/${env}`);
    const example = await readFile(path.join(d.dir, 'terraform.tfvars.example'), 'utf8');
    for (const [name, v] of Object.entries(d.variables)) {
      // A required input is set; an optional one may be left commented out, at its default.
      const line = new RegExp(`^${'default' in v ? '(#\\s*)?' : ''}${name}\\s*=`, 'm');
      if (!line.test(example)) missing.push(`${relative(d.dir)}/terraform.tfvars.example: ${name}`);
    }
  }
  expect(missing).toEqual([]);
});

test('every variable has a description and a type', () => {
  const missing: string[] = [];
  for (const d of dirs) {
    for (const [name, v] of Object.entries(d.variables)) {
      if (typeof v.description !== 'string' || v.description.length < 10) missing.push(`${relative(d.dir)} var.${name}: description`);
      if (v.type === undefined) missing.push(`${relative(d.dir)} var.${name}: type`);
    }
  }
  expect(missing).toEqual([]);
});

describe('app identities hold only their roles', () => {
  test('the role table is least privilege per app', () => {
    expect(byPath('modules/platform').locals.app_roles).toEqual({
      gateway: { key_vault: 'Key Vault Secrets User', landing: 'Storage Blob Data Contributor' },
      worker: { key_vault: 'Key Vault Secrets User', landing: 'Storage Blob Data Contributor' },
      portal: {},
    });
  });

  test('the blob role is scoped to the landing container, not the storage account', () => {
    const platform = byPath('modules/platform');
    const storageRoles = platform.resources.filter((r) => r.type === 'azurerm_role_assignment' && String(r.body.scope).includes('azurerm_storage_'));
    expect(storageRoles.map((r) => [r.name, r.body.scope])).toEqual([['landing', '${azurerm_storage_container.landing.id}']]);
    expect(platform.resources.find((r) => r.type === 'azurerm_storage_container' && r.name === 'landing')!.body).toMatchObject({
      name: 'landing',
      storage_account_id: '${azurerm_storage_account.platform.id}',
    });
  });

  test('the gateway and the worker land files in that container with their managed identity', () => {
    const platform = byPath('modules/platform');
    const env = String(platform.locals.common_env);
    expect(env).toMatch(/LANDING_STORE\s*=\s*"azure-blob"/);
    expect(env).toContain('LANDING_BLOB_URL = "${azurerm_storage_account.platform.primary_blob_endpoint}${azurerm_storage_container.landing.name}"');
    // The emulator's development account is for tests only; Azure uses the default, managed-identity.
    expect(env).not.toContain('LANDING_BLOB_AUTH');
    const apps = platform.locals.apps as Record<string, { env: string }>;
    expect([apps.gateway!.env, apps.worker!.env].every((e) => String(e).includes('local.common_env'))).toBe(true);
  });

  test("the gateway believes X-Forwarded-For only from the environment's infrastructure subnet, where the ingress runs", () => {
    const platform = byPath('modules/platform');
    const gateway = String((platform.locals.apps as Record<string, { env: string }>).gateway!.env);
    expect(gateway).toContain('TRUSTED_PROXIES = join(",", azurerm_subnet.apps.address_prefixes)');
    const environment = platform.resources.find((r) => r.type === 'azurerm_container_app_environment')!;
    expect(environment.body.infrastructure_subnet_id).toBe('${azurerm_subnet.apps.id}');
  });

  test('landing blobs deleted after their load do not live on as versions', () => {
    const platform = byPath('modules/platform');
    const policy = platform.resources.find((r) => r.type === 'azurerm_storage_management_policy')!;
    const rule = JSON.stringify(policy.body.rule);
    expect(rule).toContain('"prefix_match":["${azurerm_storage_container.landing.name}/"]');
    expect(rule).toContain('"delete_after_days_since_creation":1');
  });

  test('every role assignment of an app identity comes from that table (or is AcrPull to pull its image)', () => {
    const platform = byPath('modules/platform');
    const assignments = platform.resources.filter((r) => r.type === 'azurerm_role_assignment');
    expect(assignments.length).toBeGreaterThan(0);
    for (const a of assignments) {
      expect(String(a.body.principal_id)).toBe('${azurerm_user_assigned_identity.app[each.key].principal_id}');
      if (a.body.role_definition_name === 'AcrPull') {
        expect(a.body.for_each).toBe('${local.app_roles}');
      } else {
        expect(a.body.role_definition_name).toBe('${each.value}');
        expect(String(a.body.for_each)).toMatch(/local\.app_roles/);
      }
    }
  });

  test('the three apps are one container app block, each instance running as its own identity', () => {
    const apps = resourcesOf('azurerm_container_app');
    expect(apps.map((a) => a.name)).toEqual(['app']);
    expect(apps[0]!.body.for_each).toBe('${local.apps}');
    expect(Object.keys(byPath('modules/platform').locals.apps as object).sort()).toEqual(['gateway', 'portal', 'worker']);
    expect(apps[0]!.body.identity).toEqual([{ type: 'UserAssigned', identity_ids: ['${azurerm_user_assigned_identity.app[each.key].id}'] }]);
    // Connection strings only by Key Vault reference, never as plain values.
    expect(JSON.stringify(apps[0]!.body.dynamic)).toContain('azurerm_key_vault_secret.connection[secret.value].versionless_id');
  });

  test('only the gateway and the worker read the connection strings; the worker alone the Redis password', () => {
    const apps = byPath('modules/platform').locals.apps as Record<string, { secrets: string[] }>;
    expect(Object.fromEntries(Object.entries(apps).map(([app, a]) => [app, a.secrets]))).toEqual({
      gateway: ['database_url', 'redis_url'],
      portal: [],
      worker: ['database_url', 'redis_url', 'redis_password'],
    });
  });

  test('the gateway and the worker trace to otlp_endpoint only when it is set', () => {
    const platform = byPath('modules/platform');
    expect(platform.locals.common_env).toContain('var.otlp_endpoint == "" ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT = var.otlp_endpoint }');
    expect(platform.variables.otlp_endpoint).toMatchObject({ default: '' });
    const apps = platform.locals.apps as Record<string, { env: string }>;
    expect([apps.gateway!.env, apps.worker!.env].every((env) => String(env).includes('local.common_env'))).toBe(true);
  });

  test('the worker scales on each queue\'s BullMQ wait list with a KEDA redis rule', () => {
    const [app] = resourcesOf('azurerm_container_app');
    const rule = JSON.stringify(app!.body.template);
    expect(rule).toContain('"custom_rule_type":"redis"');
    expect(rule).toContain('"listName":"kineo:${custom_scale_rule.value}:wait"');
    expect(rule).toContain('each.key == \\"worker\\" ? toset(local.worker_queues) : toset([])');
    // Every queue the platform defines, so no kind of job waits without the worker scaling for it.
    expect(byPath('modules/platform').locals.worker_queues).toEqual([...QUEUES]);
  });
});

describe('environments and modules agree on inputs', () => {
  const callers = ['environments/dev', 'environments/prod', 'modules/environment'];
  const sourceDir = (caller: string, source: string) => path.posix.join('terraform', caller, source).replace(/^terraform\//, '');

  for (const caller of callers) {
    test(`${caller}: every module input exists and every required input is given`, () => {
      const from = byPath(caller);
      const problems: string[] = [];
      for (const [call, body] of Object.entries(from.modules)) {
        const source = String(body.source);
        const target = byPath(sourceDir(caller, source));
        const given = Object.keys(body).filter((k) => !['source', 'providers', 'for_each', 'count', 'depends_on'].includes(k));
        for (const input of given) if (!(input in target.variables)) problems.push(`module.${call}: ${input} is not a variable of ${source}`);
        for (const [name, v] of Object.entries(target.variables)) {
          if (!('default' in v) && !given.includes(name)) problems.push(`module.${call}: required ${name} not given`);
        }
        for (const ref of JSON.stringify(from).matchAll(/module\.(\w+)\.(\w+)/g)) {
          const other = from.modules[ref[1]!];
          const otherDir = other && byPath(sourceDir(caller, String(other.source)));
          if (!otherDir || !(ref[2]! in otherDir.outputs)) problems.push(`${caller}: uses module.${ref[1]}.${ref[2]}, which is not an output`);
        }
      }
      expect(problems).toEqual([]);
    });
  }

  test('dev and prod are one composition: each calls modules/environment once, declares no resource, and differs only in name and size', () => {
    const calls = ['dev', 'prod'].map((env) => {
      const environment = byPath(`environments/${env}`);
      expect(environment.resources).toEqual([]);
      expect(Object.keys(environment.modules)).toEqual(['kineo']);
      return environment.modules.kineo!;
    });
    expect(calls.map((c) => c.source)).toEqual(['../../modules/environment', '../../modules/environment']);
    expect([calls[0]!.environment, calls[0]!.size, calls[1]!.environment, calls[1]!.size]).toEqual(['dev', 'small', 'prod', 'large']);
    const rest = (c: Record<string, unknown>) => ({ ...c, environment: undefined, size: undefined });
    expect(rest(calls[0]!)).toEqual(rest(calls[1]!));
  });

  test('every size sets every sized input of the platform and Databricks modules', () => {
    const sizes = byPath('modules/environment').locals.sizes as Record<string, Record<string, unknown>>;
    expect(Object.keys(sizes).sort()).toEqual(['large', 'small']);
    expect(Object.keys(sizes.small!).sort()).toEqual(Object.keys(sizes.large!).sort());
    expect(sizes.large).toMatchObject({ postgres_high_availability: true, postgres_geo_redundant_backup: true });
  });

  test('state is remote in Azure Storage with Entra ID auth', () => {
    for (const env of ['dev', 'prod']) {
      const backend = JSON.stringify(byPath(`environments/${env}`).terraform);
      expect(backend).toContain('"azurerm"');
      expect(backend).toContain(`"key":"kineo-${env}.tfstate"`);
      expect(backend).toContain('"use_azuread_auth":true');
    }
  });
});

describe('the warehouse in Azure is Databricks', () => {
  // The gateway and the worker are separate Container Apps with no shared disk: a DuckDB warehouse
  // written by the worker could never be read by the gateway there.
  test('the platform module requires a Databricks host and sets the apps to the Databricks engine', () => {
    const platform = byPath('modules/platform');
    const host = platform.variables.databricks_host!;
    expect('default' in host).toBe(false);
    expect(JSON.stringify(host.validation)).toContain('length(var.databricks_host) > 0');
    const env = JSON.stringify(platform.locals);
    expect(env).toMatch(/WAREHOUSE_ENGINE\s*=\s*\\"databricks\\"/);
    expect(env).not.toContain('duckdb');
  });
});
