import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { WarehouseError, type TenantNamespace } from '../src';
import { DatabricksWarehouse } from '../src/databricks';
import { databricksSql } from '../src/databricks/databricks-sql.loader';
import { startDatabricksTestServer, type DatabricksTestServer } from './databricks-server';

let server: DatabricksTestServer;
let landingRoot: string;
let wh: DatabricksWarehouse;
const tenant: TenantNamespace = { tenantId: '00000000-0000-4000-8000-0000000000s1', namespace: 't_0stg01' };
const other: TenantNamespace = { tenantId: '00000000-0000-4000-8000-0000000000s2', namespace: 't_0stg02' };

beforeAll(async () => {
  server = await startDatabricksTestServer();
  landingRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-dbx-landing-'));
  wh = new DatabricksWarehouse({
    ...server.connection,
    landingRoot,
  });
  await wh.provision(tenant);
  await wh.provision(other);
});

afterAll(async () => {
  await wh?.close();
  await server?.close();
  fs.rmSync(landingRoot, { recursive: true, force: true });
});

function landingFile(t: TenantNamespace, name: string, content: string | Buffer): string {
  const file = path.join(landingRoot, t.namespace, 'run-1', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function httpsPut(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'PUT', ca: server.caCert, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function failure(promise: Promise<unknown>): Promise<WarehouseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WarehouseError);
  return error as WarehouseError;
}

describe("staging files in the tenant's volume", () => {
  it('uploads the file byte for byte through the presigned URL the PUT statement answers with', async () => {
    const bytes = Buffer.concat([Buffer.from('id,name\r\n1,"caf'), Buffer.from([0xe9]), Buffer.from('"\r\n2,Grace\r\n')]);
    const location = await wh.stageFile(tenant, landingFile(tenant, 'people.csv', bytes), 'b1/people.csv');
    expect(location).toBe(`/Volumes/kineo_${tenant.namespace}/bronze/landing/b1/people.csv`);
    expect(fs.readFileSync(server.volumes.resolve(location)).equals(bytes)).toBe(true);
    const put = server.recorder.statementsLike(/^PUT /).at(-1)!;
    expect(put.sql).toBe(`PUT '${path.join(landingRoot, tenant.namespace, 'run-1', 'people.csv')}' INTO '${location}' OVERWRITE`);
    expect(server.volumes.transfers.at(-1)).toEqual({ method: 'PUT', volumePath: location, status: 201, bytes: bytes.length });
  });

  it('replaces a staged file of the same name', async () => {
    await wh.stageFile(tenant, landingFile(tenant, 'again.csv', 'first'), 'b1/again.csv');
    const location = await wh.stageFile(tenant, landingFile(tenant, 'again.csv', 'second'), 'b1/again.csv');
    expect(fs.readFileSync(server.volumes.resolve(location), 'utf8')).toBe('second');
  });

  it("refuses a file outside the tenant's landing folder (stagingAllowedLocalPath), and nothing reaches the volume", async () => {
    const transfers = server.volumes.transfers.length;
    const elsewhere = path.join(os.tmpdir(), `kineo-not-landing-${process.pid}.csv`);
    fs.writeFileSync(elsewhere, 'secret');
    try {
      for (const file of [elsewhere, landingFile(other, 'theirs.csv', 'theirs'), path.join(landingRoot, tenant.namespace, '..', other.namespace, 'run-1', 'theirs.csv')]) {
        const error = await failure(wh.stageFile(tenant, file, 'b2/stolen.csv'));
        expect(error.code).toBe('WAREHOUSE_QUERY_FAILED');
        expect(error.message).toBe("Refused: the file to stage is outside the tenant's landing area.");
      }
    } finally {
      fs.rmSync(elsewhere, { force: true });
    }
    expect(server.volumes.transfers.length).toBe(transfers);
    expect(fs.existsSync(server.volumes.resolve(`/Volumes/kineo_${tenant.namespace}/bronze/landing/b2/stolen.csv`))).toBe(false);
  });

  it("refuses a staged name that would leave the tenant's volume", async () => {
    const file = landingFile(tenant, 'people.csv', 'x');
    for (const name of ['../t_0stg02/x.csv', '/abs.csv', 'a/../../x.csv', '']) {
      expect((await failure(wh.stageFile(tenant, file, name))).code).toBe('WAREHOUSE_IDENTIFIER_INVALID');
    }
    expect((await failure(wh.removeStaged(tenant, `/Volumes/kineo_${other.namespace}/bronze/landing/b1/people.csv`))).code).toBe('WAREHOUSE_QUERY_FAILED');
  });

  it('removes a staged file with the REMOVE staging operation', async () => {
    const location = await wh.stageFile(tenant, landingFile(tenant, 'gone.csv', 'bye'), 'b3/gone.csv');
    await wh.removeStaged(tenant, location);
    expect(fs.existsSync(server.volumes.resolve(location))).toBe(false);
    expect(server.volumes.transfers.at(-1)).toMatchObject({ method: 'DELETE', volumePath: location, status: 204 });
    await wh.removeStaged(tenant, location); // already gone: the driver takes a 404 as done
  });

  it('serves GET from the volume to the driver, and a presigned URL only once and only with its headers', async () => {
    const location = await wh.stageFile(tenant, landingFile(tenant, 'back.csv', 'round trip'), 'b4/back.csv');
    const client = new (databricksSql().DBSQLClient)({ logger: { log: () => undefined } });
    await client.connect({ host: server.host, port: server.port, path: server.path, token: server.token, customCaCert: server.caCert });
    const session = await client.openSession({ initialCatalog: `kineo_${tenant.namespace}`, initialSchema: 'bronze' });
    const target = path.join(landingRoot, tenant.namespace, 'run-1', 'fetched.csv');
    try {
      await session.executeStatement(`GET '${location}' TO '${target}'`, { stagingAllowedLocalPath: [path.join(landingRoot, tenant.namespace)] });
      expect(fs.readFileSync(target, 'utf8')).toBe('round trip');
      const operation = await session.executeStatement(`PUT '${target}' INTO '${location}' OVERWRITE`);
      const [row] = (await operation.fetchAll()) as Array<{ presignedUrl: string; headers: Record<string, string> }>;
      expect(row.headers).toEqual({ 'x-ms-blob-type': 'BlockBlob' });
      // Without stagingAllowedLocalPath the driver leaves the answer to the caller: use the URL by hand.
      expect(await httpsPut(row.presignedUrl, 'by hand', {})).toBe(400); // without the header it was told to send
      expect(await httpsPut(row.presignedUrl, 'by hand', row.headers)).toBe(403); // and a URL is good for one request
      expect(fs.readFileSync(server.volumes.resolve(location), 'utf8')).toBe('round trip');
    } finally {
      await session.close();
      await client.close();
    }
  });
});

describe('read_files over a staged CSV file, as the local server reads it', () => {
  it('applies the schema after the header, keeps ragged records as corrupt records, and decodes bad UTF-8 with U+FFFD', async () => {
    const bytes = Buffer.concat([
      Buffer.from('ID,Name\n1,Ada\n2\n3,"Grace, H"\n4,x,y\n'),
      Buffer.from([0x35, 0x2c, 0xff, 0x0a]),
      Buffer.from('6,"multi\nline"\n'),
    ]);
    const location = await wh.stageFile(tenant, landingFile(tenant, 'shape.csv', bytes), 'b5/shape.csv');
    const read = await wh.query(
      tenant,
      `select id as id, name as name, _corrupt_record, _rescued_data, monotonically_increasing_id() as ord
       from read_files('${location}', format => 'csv', header => true, schema => '\`ID\` STRING, \`Name\` STRING, _corrupt_record STRING',
         mode => 'PERMISSIVE', columnNameOfCorruptRecord => '_corrupt_record', rescuedDataColumn => '_rescued_data',
         multiLine => true, sep => ',', quote => '"', escape => '"')`,
    );
    expect(read.rows).toEqual([
      { id: '1', name: 'Ada', _corrupt_record: null, _rescued_data: null, ord: 0 },
      { id: null, name: null, _corrupt_record: '2', _rescued_data: null, ord: 1 },
      { id: '3', name: 'Grace, H', _corrupt_record: null, _rescued_data: null, ord: 2 },
      { id: null, name: null, _corrupt_record: '4,x,y', _rescued_data: null, ord: 3 },
      { id: '5', name: '\ufffd', _corrupt_record: null, _rescued_data: null, ord: 4 },
      { id: '6', name: 'multi\nline', _corrupt_record: null, _rescued_data: null, ord: 5 },
    ]);
  });

  it('refuses what it does not imitate instead of guessing', async () => {
    const location = await wh.stageFile(tenant, landingFile(tenant, 'plain.csv', 'a,b\n1,2\n'), 'b6/plain.csv');
    for (const options of ["format => 'json'", "format => 'csv', header => true", "format => 'csv', header => true, mode => 'FAILFAST', inferSchema => false"]) {
      const error = await failure(wh.query(tenant, `select * from read_files('${location}', ${options})`));
      expect(error.message).toMatch(/NOT_EMULATED/);
    }
  });
});

describe('Databricks SQL as the local server reads it', () => {
  it('reads literals, identifiers and the functions the loader uses as Databricks does', async () => {
    const { rows } = await wh.query(
      tenant,
      `select ${wh.dialect.literal("O'Connell \\ sons")} as quoted, "double" as dq, \`x y\`.v as bt,
         'a,"b,c",d' rlike '^a,' as found, not ('abc' rlike 'z') as missing,
         regexp_replace('a"b,c"d,e', '"([^"]|"")*"', '') as stripped,
         to_json(named_struct('k', 'v', 'gone', cast(null as string))) as json
       from (select 1 as v) \`x y\``,
    );
    expect(rows).toEqual([{ quoted: "O'Connell \\ sons", dq: 'double', bt: 1, found: true, missing: true, stripped: 'ad,e', json: '{"k":"v"}' }]);
  });
});
