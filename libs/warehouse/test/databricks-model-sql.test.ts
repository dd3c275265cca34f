import { WarehouseError, type TenantNamespace } from '../src';
import { DatabricksWarehouse } from '../src/databricks';
import { startDatabricksTestServer, type DatabricksTestServer } from './databricks-server';

const tenant: TenantNamespace = { tenantId: '00000000-0000-4000-8000-0000000000m1', namespace: 't_0mdl01' };

/**
 * The Databricks functions the pipeline's models use, as the local server answers them: each
 * expected value is what Databricks documents for the call (session time zone UTC).
 */
describe('Databricks SQL the models use, on the local server', () => {
  let server: DatabricksTestServer;
  let wh: DatabricksWarehouse;

  beforeAll(async () => {
    server = await startDatabricksTestServer();
    wh = new DatabricksWarehouse({ ...server.connection });
    await wh.provision(tenant);
  });

  afterAll(async () => {
    await wh?.close();
    await server?.close();
  });

  const value = async (expr: string) => (await wh.query(tenant, `select ${expr} as v`)).rows[0].v;

  it.each([
    ['timestamp_seconds(cast(1700000000 as bigint))', '2023-11-14T22:13:20.000Z'],
    ["unix_timestamp(timestamp '2023-11-14 22:13:20.9')", 1700000000],
    ["unix_timestamp(timestamp '1969-12-31 23:59:59.5')", -1],
    ["try_cast('2024-07-01T09:30:00+02:00' as timestamp)", '2024-07-01T07:30:00.000Z'],
    ["try_cast('2024-07-01T09:30:00Z' as timestamp)", '2024-07-01T09:30:00.000Z'],
    ["try_cast('2024-07-01' as timestamp)", '2024-07-01T00:00:00.000Z'],
    ["try_cast('2024-02-30' as timestamp)", null],
    ["try_cast('soon' as timestamp)", null],
    ["try_cast(' 42 ' as bigint)", 42],
    ["date_format(timestamp '2024-07-01 09:05:03', 'yyyyMMdd')", '20240701'],
    ["date_format(timestamp '2024-07-01 09:05:03', 'yyyy-MM-dd HH:mm:ss')", '2024-07-01 09:05:03'],
    ["date_add(date '2024-02-28', 2)", '2024-03-01'],
    ["date_add(timestamp '2024-12-31 23:00:00', cast(1 as int))", '2025-01-01'],
    ["regexp_extract('PT1H2M3S', 'T([0-9]+)H')", '1'],
    ["regexp_extract('PT1H2M3S', 'T([0-9]+H)?([0-9]+)M', 2)", '2'],
    ["regexp_extract('P1Y', '([0-9]+)D', 1)", ''],
  ])('%s is %p', async (expr, expected) => {
    expect(await value(expr)).toEqual(expected);
  });

  it.each([
    ["date_format(timestamp '2024-07-01 09:05:03', 'EEE d MMM')", 'the date_format pattern letters "EEE"'],
    ["date_format(timestamp '2024-07-01 09:05:03', 'yyyy\\'T\\'HH')", 'date_format with quoted text in its pattern'],
    ['unix_timestamp()', 'unix_timestamp without exactly one argument'],
  ])('refuses what it does not imitate: %s', async (expr, what) => {
    const error = await wh.query(tenant, `select ${expr} as v`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as Error).message).toContain(`[NOT_EMULATED] The local Databricks stand-in does not implement ${what}`);
  });
});
