import { WarehouseError } from '../src';
import { safeServerMessage, toWarehouseError } from '../src/databricks/driver-errors.util';
import { namespaceLayout } from '../src/databricks/namespace-layout.util';
import { normaliseValue } from '../src/databricks/row-values.util';
import { assertOwnNamespace, pinPublishedTables, rewriteLayerReferences } from '../src/databricks/sql-text.util';

const toTenantSchemas = (layer: string) => `t_00000a_${layer}`;

describe('layer references in a shared catalog', () => {
  it.each([
    ['a table', 'select * from bronze.people', 'select * from t_00000a_bronze.people'],
    [
      'every layer in one statement, not aliases',
      'insert into silver.x select a.id from bronze.a join gold.b on a.id = b.id',
      'insert into t_00000a_silver.x select a.id from t_00000a_bronze.a join t_00000a_gold.b on a.id = b.id',
    ],
    [
      'nothing in literals or comments',
      "select 'bronze.people' as s -- bronze.x\nfrom bronze.people /* gold.y */",
      "select 'bronze.people' as s -- bronze.x\nfrom t_00000a_bronze.people /* gold.y */",
    ],
    ['layer-qualified columns', 'select bronze.people.id from bronze.people', 'select t_00000a_bronze.people.id from t_00000a_bronze.people'],
    ['not a later part of a name', 'select * from kineo_t_00000a.bronze.people', 'select * from kineo_t_00000a.bronze.people'],
    ['not a column named like a layer', 'select gold, silver from bronze.medals', 'select gold, silver from t_00000a_bronze.medals'],
    ['any case, quoted or spaced', 'select * from Bronze . people join `gold`.x', 'select * from t_00000a_bronze . people join t_00000a_gold.x'],
    ['a layer-qualified function', 'select silver.clean(name) from silver.users', 'select t_00000a_silver.clean(name) from t_00000a_silver.users'],
    ["escaped quotes in a literal", "select 'it\\'s bronze.x' from gold.t", "select 'it\\'s bronze.x' from t_00000a_gold.t"],
  ])('rewrites %s', (_case, sql, expected) => {
    expect(rewriteLayerReferences(sql, toTenantSchemas)).toBe(expected);
  });

  it('leaves SQL alone when each tenant has its own catalog', () => {
    const layout = namespaceLayout('t_00000a', { mode: 'catalog' });
    expect(layout.rewrite('select * from bronze.people')).toBe('select * from bronze.people');
    expect(layout.session).toEqual({ initialCatalog: 'kineo_t_00000a', initialSchema: 'gold' });
  });
});

describe('pinning published gold tables', () => {
  const pins = new Map([
    ['scores', 3],
    ['dim', 1],
  ]);

  it('reads every gold table at its pinned Delta version', () => {
    expect(pinPublishedTables('select s.name from gold.scores s join gold.dim as d on s.id = d.id', 'gold', pins, 2)).toBe(
      'select s.name from gold.scores VERSION AS OF 3 s join gold.dim VERSION AS OF 1 as d on s.id = d.id',
    );
  });

  it('names the tenant gold schema in a shared catalog', () => {
    expect(pinPublishedTables('select gold.scores.name from gold.scores', 't_00000a_gold', pins, 2)).toBe(
      'select t_00000a_gold.scores.name from t_00000a_gold.scores VERSION AS OF 3',
    );
  });

  it('refuses a gold table the published version does not have', () => {
    expect(() => pinPublishedTables('select * from gold.later', 'gold', pins, 2)).toThrow(/gold\.later is not part of published version 2/);
  });
});

describe('keeping a statement inside its namespace', () => {
  const own = namespaceLayout('t_00000a', { mode: 'catalog' }).scope;
  const shared = namespaceLayout('t_00000a', { mode: 'schema', catalog: 'kineo_shared' }).scope;

  it.each([
    'select * from bronze.people',
    'select * from kineo_t_00000a.gold.x',
    'select last_login, t_created from silver.users;',
    "select * from read_files('/Volumes/kineo_t_00000a/bronze/landing/users.csv')",
    'select bronze.people.id from bronze.people',
  ])('allows %s', (sql) => {
    expect(() => assertOwnNamespace(sql, own)).not.toThrow();
  });

  it.each([
    'use schema silver',
    "set timezone = 'UTC'",
    'select 1; select 2',
    'select * from kineo_t_00000b.bronze.people',
    'select * from t_00000b.bronze.people',
    'select * from `kineo_t_00000b`.bronze.people',
    "select * from read_files('/Volumes/kineo_t_00000b/bronze/landing/users.csv')",
    'select * from system.information_schema.tables',
    'select * from samples.nyctaxi.trips',
  ])('refuses %s', (sql) => {
    expect(() => assertOwnNamespace(sql, own)).toThrow(WarehouseError);
  });

  it('allows settings where the session is not shared', () => {
    expect(() => assertOwnNamespace("set ansi_mode = 'true'", own, { sessionSettings: true })).not.toThrow();
    expect(() => assertOwnNamespace('use catalog kineo_t_00000a', own, { sessionSettings: true })).toThrow(WarehouseError);
  });

  it.each(['select * from information_schema.tables', 'select * from kineo_shared.t_00000b_bronze.people', 'select * from t_00000b_gold.x', 'select * from kineo_shared.default.x'])(
    'in a shared catalog refuses %s',
    (sql) => {
      expect(() => assertOwnNamespace(sql, shared)).toThrow(WarehouseError);
    },
  );

  it('in a shared catalog allows the tenant schemas', () => {
    expect(() => assertOwnNamespace('select * from kineo_shared.t_00000a_bronze.people join gold.x on true', shared)).not.toThrow();
  });
});

describe('driver failures as warehouse errors', () => {
  it('keeps the first line of a server message, without paths, hosts, tokens or suggestions', () => {
    expect(
      safeServerMessage(
        "[TABLE_OR_VIEW_NOT_FOUND] The table `nope` cannot be found at /mnt/data/x.parquet on adb-1.2.azuredatabricks.net with dapi0123456789abcdef0123. Did you mean 'kineo_t_00000b.bronze.people'?\n== SQL ==\nselect * from nope",
      ),
    ).toBe('[TABLE_OR_VIEW_NOT_FOUND] The table `nope` cannot be found at <path> on <host> with <redacted>.');
  });

  it.each([
    ['an HTTP 503', { statusCode: 503 }, 'WAREHOUSE_UNAVAILABLE'],
    ['an HTTP 401', { statusCode: 401 }, 'WAREHOUSE_UNAVAILABLE'],
    ['a dropped connection', Object.assign(new Error('request failed, reason: socket hang up'), { code: 'ECONNRESET' }), 'WAREHOUSE_UNAVAILABLE'],
    ['a timed-out operation', { errorCode: 'TIMEOUT', response: { displayMessage: 'timed out' } }, 'WAREHOUSE_TIMEOUT'],
    ['a failed statement', { name: 'Status Error', message: '[PARSE_SYNTAX_ERROR] Syntax error at or near "form".' }, 'WAREHOUSE_QUERY_FAILED'],
    ['something else', new Error('boom at https://adb-1.azuredatabricks.net/sql'), 'WAREHOUSE_UNAVAILABLE'],
  ])('maps %s', (_case, error, code) => {
    const mapped = toWarehouseError(error);
    expect(mapped.code).toBe(code);
    expect(mapped.message).not.toMatch(/https?:|azuredatabricks/);
  });

  it('maps a missing catalog at session opening to WAREHOUSE_NOT_PROVISIONED', () => {
    const error = { name: 'Status Error', message: "[NO_SUCH_CATALOG_EXCEPTION] Catalog 'kineo_t_00000a' was not found." };
    expect(toWarehouseError(error, 'session').code).toBe('WAREHOUSE_NOT_PROVISIONED');
  });
});

describe('row values', () => {
  it.each([
    ['bigint', 42n, 42],
    ['bigint', 9007199254740993n, 9007199254740993n],
    ['bigint', '-9007199254740993', -9007199254740993n],
    ['decimal', '36.50', 36.5],
    ['date', new Date('2024-07-01T00:00:00Z'), '2024-07-01'],
    ['date', Date.UTC(2024, 6, 1), '2024-07-01'],
    ['timestamp', new Date('2024-07-01T10:11:12Z'), '2024-07-01T10:11:12.000Z'],
    ['timestamp', '2024-07-01 10:11:12.123456', '2024-07-01T10:11:12.123Z'],
    ['boolean', 'true', true],
    ['string', undefined, null],
  ])('%s %p becomes %p', (kind, value, expected) => {
    expect(normaliseValue(kind, value)).toEqual(expected);
  });
});
