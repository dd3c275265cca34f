import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import type { ContainerClient } from '@azure/storage-blob';
import { QueueEvents } from 'bullmq';
import { UserService } from '@kineo/auth';
import { loadSettings } from '@kineo/config';
import { createPrismaClient, TenantService, type PrismaClient, type Tenant } from '@kineo/db';
import { bullConnection, JobQueues, landingRetentionJob, offboardTenantJob, provisionTenantJob, QUEUE_PREFIX, requestOffboard } from '@kineo/jobs';
import { AzureBlobLandingStore, createLandingStore } from '@kineo/landing';
import { startAzurite, startTestStack, startWorkerProcess, stopProcess, type AzuriteServer, type TestStack } from '@kineo/testkit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { graphql, startGateway } from './support/gateway';

const PASSWORD = 'correct horse battery staple';
const UPLOAD_LIMIT = 64 * 1024;
const TUS = { 'tus-resumable': '1.0.0' };
// A plan whose own upload limit is below the gateway's ceiling (UPLOAD_LIMIT), so the plan decides.
const PILOT_LIMIT = 2048;

const USERS_CSV = Buffer.from(
  ['id,username,firstname,lastname', ...Array.from({ length: 600 }, (_, i) => `${i + 1},user${i + 1},First${i + 1},Last${i + 1}`)].join('\n') + '\n',
);
const COURSES_CSV = Buffer.from('id,fullname,shortname\n100,Safety,S\n');

const metadata = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');

describe('resumable uploads (tus) of large export files', () => {
  let stack: TestStack;
  let app: NestFastifyApplication;
  let prisma: PrismaClient;
  let queues: JobQueues;
  let acme: Tenant;
  const tokens: Record<string, string> = {};

  const auth = (email: string) => ({ authorization: `Bearer ${tokens[email]}` });
  const landingOf = (tenant: Tenant) => path.join(stack.env.KINEO_DATA_DIR!, 'landing', tenant.namespace);

  /** Creates an upload as tus-js-client would and returns its URL. */
  async function create(email: string, fileName: string, length: number): Promise<string> {
    const response = await app.inject({
      method: 'POST',
      url: '/uploads/resumable',
      headers: { ...TUS, ...auth(email), 'upload-length': String(length), 'upload-metadata': metadata({ filename: fileName, filetype: 'text/csv' }) },
    });
    expect(response.statusCode).toBe(201);
    return response.headers.location as string;
  }

  function patch(email: string, url: string, offset: number, body: Buffer) {
    return app.inject({
      method: 'PATCH',
      url,
      headers: { ...TUS, ...auth(email), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
      payload: body,
    });
  }

  const head = (email: string, url: string) => app.inject({ method: 'HEAD', url, headers: { ...TUS, ...auth(email) } });
  const idOf = (url: string) => url.split('/').pop()!;
  const complete = (email: string, body: unknown) =>
    app.inject({ method: 'POST', url: '/uploads/complete', headers: { ...auth(email), 'content-type': 'application/json' }, payload: JSON.stringify(body) });

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    queues = new JobQueues(stack.redisUrl);
    const tenants = new TenantService(prisma);
    const users = new UserService(prisma);
    await prisma.plan.create({ data: { code: 'pilot', name: 'Pilot', seatLimit: 10, rowLimit: 1000, uploadLimitBytes: PILOT_LIMIT, features: [] } });
    for (const [slug, name, planCode] of [['acme', 'Acme Health'], ['globex', 'Globex'], ['hooli', 'Hooli', 'pilot']]) {
      const tenant = await tenants.create({ slug: slug!, name: name!, planCode, actor: 'test' });
      await tenants.markActive(tenant.id, 'test');
    }
    acme = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
    const accounts = [
      ['admin@acme.test', { tenantSlug: 'acme', role: 'org_admin' as const }],
      ['second-admin@acme.test', { tenantSlug: 'acme', role: 'org_admin' as const }],
      ['manager@acme.test', { tenantSlug: 'acme', role: 'manager' as const, lmsUserId: 7 }],
      ['admin@globex.test', { tenantSlug: 'globex', role: 'org_admin' as const }],
      ['admin@hooli.test', { tenantSlug: 'hooli', role: 'org_admin' as const }],
    ] as const;
    for (const [email, grant] of accounts) await users.create({ email, password: PASSWORD, grant, actor: 'test' });

    app = await startGateway(stack, { UPLOAD_MAX_BYTES: String(UPLOAD_LIMIT) });
    // Listening too, for a PATCH whose connection is cut halfway (inject cannot cut one).
    await app.listen({ host: '127.0.0.1', port: 0 });
    for (const [email] of accounts) {
      const reply = await graphql<{ login: { token: string } }>(
        app,
        `mutation { login(email: ${JSON.stringify(email)}, password: ${JSON.stringify(PASSWORD)}) { token } }`,
      );
      tokens[email] = reply.body.data!.login.token;
    }
  });

  afterAll(async () => {
    await app?.close();
    await queues?.close();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it('says which tus version, extensions and largest size it takes', async () => {
    const response = await app.inject({ method: 'OPTIONS', url: '/uploads/resumable', headers: auth('admin@acme.test') });

    expect(response.statusCode).toBe(204);
    expect(response.headers).toMatchObject({
      'tus-version': '1.0.0',
      'tus-max-size': String(UPLOAD_LIMIT),
      'tus-extension': expect.stringContaining('termination'),
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('resumes a file where HEAD says after the connection is cut mid-PATCH, and completing it starts a load like POST /uploads', async () => {
    const usersUrl = await create('admin@acme.test', 'users.csv', USERS_CSV.length);
    const coursesUrl = await create('admin@acme.test', 'courses.csv', COURSES_CSV.length);
    expect(usersUrl).toMatch(/^\/uploads\/resumable\/[0-9a-f]{32}$/);
    expect((await patch('admin@acme.test', coursesUrl, 0, COURSES_CSV)).statusCode).toBe(204);

    // The first PATCH carries the whole file, but the link drops after the first half.
    const { port } = app.getHttpServer().address() as AddressInfo;
    const half = Math.floor(USERS_CSV.length / 2);
    const cut = http.request({
      host: '127.0.0.1',
      port,
      method: 'PATCH',
      path: usersUrl,
      headers: {
        ...TUS,
        ...auth('admin@acme.test'),
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        'content-length': String(USERS_CSV.length),
      },
    });
    cut.on('error', () => undefined);
    cut.write(USERS_CSV.subarray(0, half));
    await sleep(300);
    cut.destroy();

    const afterCut = await head('admin@acme.test', usersUrl);
    expect(afterCut.statusCode).toBe(200);
    expect(afterCut.headers['tus-resumable']).toBe('1.0.0');
    expect(afterCut.headers['upload-length']).toBe(String(USERS_CSV.length));
    const offset = Number(afterCut.headers['upload-offset']);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(half);
    // Nothing is loaded meanwhile: the partial file is in no run folder and not in incoming/.
    expect(fs.readdirSync(landingOf(acme))).toEqual(['.resumable']);

    const resumed = await patch('admin@acme.test', usersUrl, offset, USERS_CSV.subarray(offset));
    expect(resumed.statusCode).toBe(204);
    expect(resumed.headers['upload-offset']).toBe(String(USERS_CSV.length));

    const response = await complete('admin@acme.test', { uploadIds: [idOf(usersUrl), idOf(coursesUrl)], asOf: '2025-06-30' });

    expect(response.statusCode).toBe(202);
    const receipt = response.json() as { ingestionRunId: string; buildRunId: string; asOf: string; files: { name: string; bytes: number }[] };
    expect(receipt).toEqual({
      ingestionRunId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      buildRunId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      asOf: '2025-06-30T00:00:00.000Z',
      files: [
        { name: 'users.csv', bytes: USERS_CSV.length },
        { name: 'courses.csv', bytes: COURSES_CSV.length },
      ],
    });
    const folder = path.join(landingOf(acme), receipt.ingestionRunId);
    expect(fs.readdirSync(folder).sort()).toEqual(['courses.csv', 'users.csv']);
    expect(fs.readFileSync(path.join(folder, 'users.csv')).equals(USERS_CSV)).toBe(true);
    expect(fs.readFileSync(path.join(folder, 'courses.csv')).equals(COURSES_CSV)).toBe(true);

    const run = await prisma.ingestionRun.findUniqueOrThrow({ where: { id: receipt.ingestionRunId } });
    const admin = await prisma.user.findUniqueOrThrow({ where: { email: 'admin@acme.test' } });
    expect(run).toMatchObject({ tenantId: acme.id, source: 'upload', status: 'queued', requestedBy: admin.id });
    const ingest = await queues.queue('ingest').getJob(`${receipt.ingestionRunId}-ingest`);
    expect(ingest).toBeDefined();
    expect(await ingest!.getState()).toBe('waiting');
    expect(ingest!.data.data).toMatchObject({
      tenantId: acme.id,
      source: 'upload',
      files: [
        { name: 'users.csv', path: path.join(folder, 'users.csv') },
        { name: 'courses.csv', path: path.join(folder, 'courses.csv') },
      ],
    });

    const status = await app.inject({ method: 'GET', url: `/uploads/${receipt.ingestionRunId}`, headers: auth('admin@acme.test') });
    expect(status.json()).toMatchObject({ status: 'queued', source: 'upload', build: { buildRunId: receipt.buildRunId } });

    // Loaded uploads are gone from the resumable area: they cannot be loaded twice.
    expect((await head('admin@acme.test', usersUrl)).statusCode).toBe(404);
    expect(fs.readdirSync(path.join(landingOf(acme), '.resumable'))).toEqual([]);
    const again = await complete('admin@acme.test', { uploadIds: [idOf(usersUrl)] });
    expect(again.statusCode).toBe(404);
  });

  it('refuses a PATCH at the wrong offset with 409 and keeps what it had', async () => {
    const url = await create('admin@acme.test', 'users.csv', COURSES_CSV.length);
    expect((await patch('admin@acme.test', url, 0, COURSES_CSV.subarray(0, 10))).statusCode).toBe(204);

    const replayed = await patch('admin@acme.test', url, 0, COURSES_CSV.subarray(0, 10));
    const ahead = await patch('admin@acme.test', url, 20, COURSES_CSV.subarray(20));

    expect(replayed.statusCode).toBe(409);
    expect(ahead.statusCode).toBe(409);
    expect((await head('admin@acme.test', url)).headers['upload-offset']).toBe('10');
  });

  it('refuses an Upload-Length over UPLOAD_MAX_BYTES at creation with 413 naming the file and the limit', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/uploads/resumable',
      headers: { ...TUS, ...auth('admin@acme.test'), 'upload-length': String(UPLOAD_LIMIT + 1), 'upload-metadata': metadata({ filename: 'course_completions.csv' }) },
    });

    expect(response.statusCode).toBe(413);
    expect(response.headers['tus-resumable']).toBe('1.0.0');
    expect(response.json()).toEqual({
      statusCode: 413,
      code: 'UPLOAD_TOO_LARGE',
      message:
        'The file "course_completions.csv" is 64.0 KiB (65537 bytes), over the upload limit of 64 KiB (65536 bytes) for the starter plan; nothing from this upload was kept. Split the export or change the plan.',
      details: { file: 'course_completions.csv', sizeBytes: UPLOAD_LIMIT + 1, limitBytes: UPLOAD_LIMIT, plan: 'starter' },
    });
  });

  describe("under the tenant's plan's own upload limit (pilot: 2 KiB, below the 64 KiB ceiling)", () => {
    const createAs = (length: number) =>
      app.inject({
        method: 'POST',
        url: '/uploads/resumable',
        headers: { ...TUS, ...auth('admin@hooli.test'), 'upload-length': String(length), 'upload-metadata': metadata({ filename: 'users.csv' }) },
      });

    it('announces the plan\'s limit as Tus-Max-Size and refuses a larger Upload-Length at creation: 413 naming the file, its size, the plan and its limit', async () => {
      const options = await app.inject({ method: 'OPTIONS', url: '/uploads/resumable', headers: auth('admin@hooli.test') });
      const response = await createAs(3000);

      expect(options.headers['tus-max-size']).toBe(String(PILOT_LIMIT));
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({
        statusCode: 413,
        code: 'UPLOAD_TOO_LARGE',
        message:
          'The file "users.csv" is 2.9 KiB (3000 bytes), over the upload limit of 2 KiB (2048 bytes) for the pilot plan; nothing from this upload was kept. Split the export or change the plan.',
        details: { file: 'users.csv', sizeBytes: 3000, limitBytes: PILOT_LIMIT, plan: 'pilot' },
      });
    });

    it('refuses appends to an upload the plan no longer allows, once ops lowered it', async () => {
      const created = await createAs(2000);
      expect(created.statusCode).toBe(201);
      const url = created.headers.location as string;
      expect((await patch('admin@hooli.test', url, 0, Buffer.alloc(1000, 'a'))).statusCode).toBe(204);

      await prisma.plan.update({ where: { code: 'pilot' }, data: { uploadLimitBytes: 1024 } });
      try {
        const refused = await patch('admin@hooli.test', url, 1000, Buffer.alloc(1000, 'a'));
        expect(refused.statusCode).toBe(413);
        expect(refused.json()).toMatchObject({ code: 'UPLOAD_TOO_LARGE', details: { file: 'users.csv', sizeBytes: 2000, limitBytes: 1024, plan: 'pilot' } });
        expect((await head('admin@hooli.test', url)).headers['upload-offset']).toBe('1000');
      } finally {
        await prisma.plan.update({ where: { code: 'pilot' }, data: { uploadLimitBytes: PILOT_LIMIT } });
      }
      expect((await patch('admin@hooli.test', url, 1000, Buffer.alloc(1000, 'a'))).statusCode).toBe(204);
    });
  });

  it('takes only named .csv and .xlsx files of a declared size, from org admins', async () => {
    const post = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/uploads/resumable', headers: { ...TUS, 'upload-length': '10', ...headers } });

    const anonymous = await post({ 'upload-metadata': metadata({ filename: 'users.csv' }) });
    const manager = await post({ ...auth('manager@acme.test'), 'upload-metadata': metadata({ filename: 'users.csv' }) });
    const exe = await post({ ...auth('admin@acme.test'), 'upload-metadata': metadata({ filename: 'payload.exe' }) });
    const unnamed = await post(auth('admin@acme.test'));
    const deferred = await app.inject({
      method: 'POST',
      url: '/uploads/resumable',
      headers: { ...TUS, ...auth('admin@acme.test'), 'upload-defer-length': '1', 'upload-metadata': metadata({ filename: 'users.csv' }) },
    });

    expect(anonymous.statusCode).toBe(401);
    expect(manager.statusCode).toBe(403);
    expect(exe.statusCode).toBe(400);
    expect(exe.json()).toMatchObject({ code: 'UPLOAD_FILE_NAME_INVALID', message: expect.stringContaining('"payload.exe"') });
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.json()).toMatchObject({ code: 'UPLOAD_METADATA_INVALID' });
    expect(deferred.statusCode).toBe(400);
    expect(deferred.json()).toMatchObject({ code: 'UPLOAD_LENGTH_REQUIRED', message: expect.stringContaining('"users.csv"') });
  });

  it("does not let another tenant's admin, or another admin, see, resume, delete or load someone's upload: 404", async () => {
    const url = await create('admin@acme.test', 'users.csv', COURSES_CSV.length);
    expect((await patch('admin@acme.test', url, 0, COURSES_CSV.subarray(0, 10))).statusCode).toBe(204);

    for (const email of ['admin@globex.test', 'second-admin@acme.test']) {
      const peek = await head(email, url);
      const write = await patch(email, url, 10, COURSES_CSV.subarray(10));
      const drop = await app.inject({ method: 'DELETE', url, headers: { ...TUS, ...auth(email) } });
      const load = await complete(email, { uploadIds: [idOf(url)] });

      expect([peek.statusCode, write.statusCode, drop.statusCode, load.statusCode]).toEqual([404, 404, 404, 404]);
      expect(load.json()).toMatchObject({ code: 'UPLOAD_NOT_FOUND' });
    }
    const own = await head('admin@acme.test', url);
    expect(own.statusCode).toBe(200);
    expect(own.headers['upload-offset']).toBe('10');

    const dropped = await app.inject({ method: 'DELETE', url, headers: { ...TUS, ...auth('admin@acme.test') } });
    expect(dropped.statusCode).toBe(204);
    expect((await head('admin@acme.test', url)).statusCode).toBe(404);
  });

  it('answers a malformed load request with 400 naming the field, and loads nothing', async () => {
    const runsBefore = await prisma.ingestionRun.count();
    const cases: Array<[unknown, number, Record<string, unknown>]> = [
      [{ uploadIds: 'abc' }, 400, { code: 'UPLOAD_FIELD_INVALID', message: expect.stringContaining('"uploadIds" must be a list of upload ids'), details: { field: 'uploadIds' } }],
      [{ uploadIds: ['abc', 7] }, 400, { code: 'UPLOAD_FIELD_INVALID', details: { field: 'uploadIds' } }],
      [{ uploadIds: ['abc'], priority: 'high' }, 400, { code: 'UPLOAD_FIELD_INVALID', message: expect.stringContaining('Unknown field "priority"'), details: { field: 'priority' } }],
      [{ uploadIds: ['abc'], asOf: '2025-02-30' }, 400, { code: 'UPLOAD_FIELD_INVALID', message: expect.stringContaining('got "2025-02-30"'), details: { field: 'asOf' } }],
      [{ uploadIds: [] }, 400, { code: 'UPLOAD_EMPTY' }],
      [['abc'], 400, { code: 'UPLOAD_FIELD_INVALID', message: expect.stringContaining('Send JSON such as') }],
    ];
    for (const [body, statusCode, error] of cases) {
      const response = await complete('admin@acme.test', body);
      expect(response.statusCode).toBe(statusCode);
      expect(response.json()).toMatchObject({ statusCode, ...error });
    }
    expect(await prisma.ingestionRun.count()).toBe(runsBefore);
  });

  it('refuses to load an unfinished upload with 409 naming the file and the bytes received; finished, it loads', async () => {
    const url = await create('admin@acme.test', 'users.csv', USERS_CSV.length);
    expect((await patch('admin@acme.test', url, 0, USERS_CSV.subarray(0, 100))).statusCode).toBe(204);
    const runsBefore = await prisma.ingestionRun.count();

    const early = await complete('admin@acme.test', { uploadIds: [idOf(url)] });

    expect(early.statusCode).toBe(409);
    expect(early.json()).toEqual({
      statusCode: 409,
      code: 'UPLOAD_INCOMPLETE',
      message: `The file "users.csv" is not finished: 100 of ${USERS_CSV.length} bytes received. Resume its upload, then start the load again.`,
      details: { file: 'users.csv', uploadId: idOf(url), bytesReceived: 100, bytesTotal: USERS_CSV.length },
    });
    expect(await prisma.ingestionRun.count()).toBe(runsBefore);

    expect((await patch('admin@acme.test', url, 100, USERS_CSV.subarray(100))).statusCode).toBe(204);
    const finished = await complete('admin@acme.test', { uploadIds: [idOf(url)] });
    expect(finished.statusCode).toBe(202);
    expect(finished.json().files).toEqual([{ name: 'users.csv', bytes: USERS_CSV.length }]);
  });

  it('removes an unfinished upload once UPLOAD_RESUMABLE_EXPIRY_SECONDS have passed', async () => {
    const shortLived = await startGateway(stack, { UPLOAD_MAX_BYTES: String(UPLOAD_LIMIT), UPLOAD_RESUMABLE_EXPIRY_SECONDS: '1' });
    try {
      const created = await shortLived.inject({
        method: 'POST',
        url: '/uploads/resumable',
        headers: { ...TUS, ...auth('admin@globex.test'), 'upload-length': '100', 'upload-metadata': metadata({ filename: 'users.csv' }) },
      });
      expect(created.statusCode).toBe(201);
      const url = created.headers.location as string;
      const globex = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' } });
      const partials = path.join(landingOf(globex), '.resumable');
      expect(fs.readdirSync(partials)).toContain(idOf(url));

      for (let waited = 0; fs.readdirSync(partials).length > 0 && waited < 20_000; waited += 100) await sleep(100);

      expect(fs.readdirSync(partials)).toEqual([]);
      const gone = await shortLived.inject({ method: 'HEAD', url, headers: { ...TUS, ...auth('admin@globex.test') } });
      expect(gone.statusCode).toBe(404);
    } finally {
      await shortLived.close();
    }
  });
  describe('with LANDING_STORE=azure-blob (Azurite), replicas and a worker that share no disk', () => {
    // The four files of a valid load, one row each.
    const LOAD: Record<string, string> = {
      'users.csv': 'id,username,idnumber,firstname,lastname,email,department,city,country,timezone,suspended,deleted,timecreated,lastaccess\n1,a,,A,A,a@x.org,,,,99,0,0,0,0\n',
      'job_assignments.csv': 'id,userid,idnumber,fullname,sortorder,managerjaid,tempmanagerjaid,tempmanagerexpirydate,organisationid,positionid,startdate,enddate\n1,1,,,1,,,,,,,\n',
      'courses.csv': 'id,fullname,shortname,idnumber,category,coursetype,visible,startdate,enablecompletion\n1,C,C,,1,0,1,0,1\n',
      'course_completions.csv': 'id,userid,course,timeenrolled,timestarted,timecompleted,status,rplgrade,organisationid,positionid\n1,1,1,0,0,0,10,,,\n',
    };
    let azurite: AzuriteServer;
    let container: ContainerClient;
    let replicaA: NestFastifyApplication;
    let replicaB: NestFastifyApplication;
    let worker: ChildProcess | undefined;
    let maintenance: QueueEvents;
    let initech: Tenant;
    let token = '';
    const dirs = { a: '', b: '', worker: '' };
    const headers = () => ({ ...TUS, authorization: `Bearer ${token}` });
    const blobsUnder = async (prefix: string) => {
      const names: string[] = [];
      for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
      return names.sort();
    };
    const untilFinished = async (ingestionRunId: string) => {
      for (;;) {
        const build = await prisma.buildRun.findFirstOrThrow({ where: { ingestionRunId } });
        if (['succeeded', 'failed'].includes(build.status)) return build;
        await sleep(100);
      }
    };
    // The worker records a load's failure, then lets go of the job and removes its fetched copy.
    const goneWithin10s = async (dir: string) => {
      for (let tries = 0; tries < 100 && fs.existsSync(dir); tries++) await sleep(100);
      return !fs.existsSync(dir);
    };

    beforeAll(async () => {
      azurite = await startAzurite({ dir: path.join(stack.dir, 'azurite') });
      // The emulator's development account stands in for the managed identity; the rest is as in Azure.
      const blob = { LANDING_STORE: 'azure-blob', LANDING_BLOB_URL: `${azurite.blobUrl}/landing`, LANDING_BLOB_AUTH: 'azurite' };
      container = (createLandingStore(loadSettings({ ...stack.env, ...blob })) as AzureBlobLandingStore).container;
      await container.create();
      // Each process its own disk; the replicas share the session key as they would in Key Vault.
      for (const name of ['a', 'b', 'worker'] as const) {
        dirs[name] = path.join(stack.dir, `disk-${name}`);
        fs.mkdirSync(dirs[name], { recursive: true });
        fs.symlinkSync(path.join(stack.env.KINEO_DATA_DIR!, 'secrets'), path.join(dirs[name], 'secrets'));
      }
      replicaA = await startGateway(stack, { ...blob, KINEO_DATA_DIR: dirs.a });
      replicaB = await startGateway(stack, { ...blob, KINEO_DATA_DIR: dirs.b });
      // The loads the tests above started were for a gateway with no worker; this worker starts afresh.
      for (const name of ['ingest', 'build'] as const) await queues.queue(name).obliterate({ force: true });
      worker = await startWorkerProcess(path.join(__dirname, '..', '..', 'worker', 'dist', 'main.js'), { ...stack.env, ...blob, KINEO_DATA_DIR: dirs.worker });
      maintenance = new QueueEvents('maintenance', { connection: bullConnection(stack.redisUrl), prefix: QUEUE_PREFIX });
      const provisioning = new QueueEvents('provision', { connection: bullConnection(stack.redisUrl), prefix: QUEUE_PREFIX });
      await Promise.all([maintenance.waitUntilReady(), provisioning.waitUntilReady()]);
      initech = await new TenantService(prisma).create({ slug: 'initech', name: 'Initech', actor: 'test' });
      await (await queues.enqueue(provisionTenantJob, { tenantId: initech.id, requestedBy: 'test' })).waitUntilFinished(provisioning, 30_000);
      await provisioning.close();
      await new UserService(prisma).create({ email: 'admin@initech.test', password: PASSWORD, grant: { tenantSlug: 'initech', role: 'org_admin' }, actor: 'test' });
      const login = await graphql<{ login: { token: string } }>(replicaA, `mutation { login(email: "admin@initech.test", password: ${JSON.stringify(PASSWORD)}) { token } }`);
      token = login.body.data!.login.token;
    });

    afterAll(async () => {
      await maintenance?.close();
      await stopProcess(worker);
      await replicaA?.close();
      await replicaB?.close();
      await azurite?.stop();
    });

    it('grows an upload in blocks any replica resumes, lands the load in the container, and the worker ingests and publishes it', async () => {
      const ids: string[] = [];
      for (const [name, text] of Object.entries(LOAD)) {
        const created = await replicaA.inject({
          method: 'POST',
          url: '/uploads/resumable',
          headers: { ...headers(), 'upload-length': String(Buffer.byteLength(text)), 'upload-metadata': metadata({ filename: name }) },
        });
        expect(created.statusCode).toBe(201);
        const url = created.headers.location as string;
        const body = Buffer.from(text);
        const half = Math.floor(body.length / 2);
        // The first half reaches replica A, the rest replica B: the offset is the blob's, not a disk's.
        const first = await replicaA.inject({ method: 'PATCH', url, headers: { ...headers(), 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, payload: body.subarray(0, half) });
        expect(first.statusCode).toBe(204);
        expect((await replicaB.inject({ method: 'HEAD', url, headers: headers() })).headers['upload-offset']).toBe(String(half));
        const stale = await replicaB.inject({ method: 'PATCH', url, headers: { ...headers(), 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, payload: body });
        expect(stale.statusCode).toBe(409);
        const rest = await replicaB.inject({ method: 'PATCH', url, headers: { ...headers(), 'upload-offset': String(half), 'content-type': 'application/offset+octet-stream' }, payload: body.subarray(half) });
        expect(rest.statusCode).toBe(204);
        ids.push(url.split('/').pop()!);
      }
      expect(await blobsUnder(`${initech.namespace}/.resumable/`)).toEqual(ids.map((id) => `${initech.namespace}/.resumable/${id}`).sort());
      for (const dir of [dirs.a, dirs.b]) expect(fs.existsSync(path.join(dir, 'landing', initech.namespace, '.resumable'))).toBe(false);

      const done = await replicaA.inject({ method: 'POST', url: '/uploads/complete', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ uploadIds: ids }) });
      expect(done.statusCode).toBe(202);
      const { ingestionRunId } = done.json() as { ingestionRunId: string };
      const build = await untilFinished(ingestionRunId);

      expect(build.status).toBe('succeeded');
      expect(build.dataVersion).toBe(1);
      expect((await prisma.tenant.findUniqueOrThrow({ where: { id: initech.id } })).dataVersion).toBe(1);
      expect(await prisma.ingestionRun.findUniqueOrThrow({ where: { id: ingestionRunId } })).toMatchObject({ status: 'succeeded', rowsRead: 4n, rowsLoaded: 4n });
      const publish = (build.stages as { stage: string; status: string; details?: { rows?: number } }[]).find((s) => s.stage === 'publish');
      expect(publish).toMatchObject({ status: 'succeeded', details: { rows: expect.any(Number) } });
      expect(publish!.details!.rows).toBeGreaterThan(0);
      // Loaded into bronze: the run's blobs and the worker's fetched copy are gone, the partial uploads too.
      expect(await blobsUnder(`${initech.namespace}/`)).toEqual([]);
      for (const dir of [dirs.a, dirs.b, dirs.worker]) expect(fs.existsSync(path.join(dir, 'landing', initech.namespace, ingestionRunId))).toBe(false);
    });

    it("keeps a refused load's files in the container until the retention sweep deletes them, audited", async () => {
      const boundary = 'kineo-blob-boundary';
      const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="users.csv"\r\nContent-Type: text/csv\r\n\r\nid,nickname\n1,a\n\r\n--${boundary}--\r\n`;
      const sent = await replicaB.inject({ method: 'POST', url: '/uploads', payload: multipart, headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` } });
      expect(sent.statusCode).toBe(202);
      const { ingestionRunId } = sent.json() as { ingestionRunId: string };
      expect(fs.existsSync(path.join(dirs.b, 'landing', initech.namespace, ingestionRunId))).toBe(false);

      expect((await untilFinished(ingestionRunId)).status).toBe('failed');
      expect(await blobsUnder(`${initech.namespace}/`)).toEqual([`${initech.namespace}/${ingestionRunId}/users.csv`]);
      expect(await goneWithin10s(path.join(dirs.worker, 'landing', initech.namespace, ingestionRunId))).toBe(true);

      const later = new Date(Date.now() + 8 * 24 * 3600 * 1000).toISOString();
      const swept = await (await queues.enqueue(landingRetentionJob, { now: later })).waitUntilFinished(maintenance, 30_000);
      expect(swept.tenants).toContainEqual({ tenant: 'initech', retentionDays: 7, removed: [{ ingestionRunId, status: 'failed', files: 1, bytes: Buffer.byteLength('id,nickname\n1,a\n') }] });
      expect(await blobsUnder(`${initech.namespace}/`)).toEqual([]);
      const audit = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: initech.id, action: 'landing.retention_swept' } });
      expect(audit.details).toMatchObject({ removed: [{ ingestionRunId, status: 'failed' }] });
    });

    it("lands a completed upload by a copy inside the container; offboarding deletes the tenant's blobs, unfinished uploads included, and counts them", async () => {
      const ns = initech.namespace;
      const send = async (replica: NestFastifyApplication, text: string, sent: number) => {
        const created = await replica.inject({
          method: 'POST',
          url: '/uploads/resumable',
          headers: { ...headers(), 'upload-length': String(Buffer.byteLength(text)), 'upload-metadata': metadata({ filename: 'users.csv' }) },
        });
        const url = created.headers.location as string;
        const patched = await replica.inject({ method: 'PATCH', url, headers: { ...headers(), 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, payload: Buffer.from(text).subarray(0, sent) });
        expect(patched.statusCode).toBe(204);
        return url.split('/').pop()!;
      };
      // A load the worker refuses (a column it does not know): its file stays in the container.
      const refused = 'id,nickname\n1,"a\nb"\n2,c\n';
      const finished = await send(replicaB, refused, Buffer.byteLength(refused));
      const completeIt = () =>
        replicaB.inject({ method: 'POST', url: '/uploads/complete', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ uploadIds: [finished] }) });
      // Its rows are counted as the blob is read in the container (a quoted line break is no row): over
      // the plan's limit the load is refused, its copy taken back, and the upload kept for another try.
      await prisma.subscription.updateMany({ where: { tenantId: initech.id, status: 'active' }, data: { rowLimit: 1 } });
      const over = await completeIt();
      expect(over.json()).toMatchObject({ code: 'PLAN_LIMIT', message: expect.stringMatching(/^This load has 2 rows and the \w+ plan allows 1;/) });
      expect(await blobsUnder(`${ns}/`)).toEqual([`${ns}/.resumable/${finished}`]);
      await prisma.subscription.updateMany({ where: { tenantId: initech.id, status: 'active' }, data: { rowLimit: null } });
      const done = await completeIt();
      expect(done.statusCode).toBe(202);
      const { ingestionRunId } = done.json() as { ingestionRunId: string };
      expect((await untilFinished(ingestionRunId)).status).toBe('failed');
      // Copied inside the storage account, not sent up again by the gateway.
      const landed = await container.getBlobClient(`${ns}/${ingestionRunId}/users.csv`).getProperties();
      expect(landed.copySource).toBe(container.getBlobClient(`${ns}/.resumable/${finished}`).url);
      expect(landed.contentLength).toBe(Buffer.byteLength(refused));
      expect(fs.existsSync(path.join(dirs.b, 'landing', ns, ingestionRunId))).toBe(false);
      const unfinished = await send(replicaA, 'id,username\n1,a\n', 5);
      await container.getBlockBlobClient(`${ns}2/keep.csv`).upload('id\n', 3);
      expect(await blobsUnder(`${ns}/`)).toEqual([`${ns}/${ingestionRunId}/users.csv`, `${ns}/.resumable/${unfinished}`].sort());

      const provisioning = new QueueEvents(offboardTenantJob.queue, { connection: bullConnection(stack.redisUrl), prefix: QUEUE_PREFIX });
      try {
        await provisioning.waitUntilReady();
        const { jobId } = await requestOffboard(prisma, queues, { slug: initech.slug, confirm: initech.slug, actor: 'test' });
        const off = await (await queues.queue(offboardTenantJob.queue).getJob(jobId))!.waitUntilFinished(provisioning, 30_000);
        expect(off).toMatchObject({ status: 'offboarded', landing: { store: 'azure-blob', files: 2, bytes: Buffer.byteLength(refused) + 5 } });
      } finally {
        await provisioning.close();
      }
      expect(await blobsUnder(`${ns}/`)).toEqual([]);
      expect(await blobsUnder(`${ns}2/`)).toEqual([`${ns}2/keep.csv`]);
      const evidence = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: initech.id, action: 'tenant.offboard.landing_deleted' } });
      expect(evidence.details).toEqual({ namespace: ns, store: 'azure-blob', files: 2, bytes: Buffer.byteLength(refused) + 5 });
    });
  });
});
