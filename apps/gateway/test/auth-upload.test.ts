import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { UserService } from '@kineo/auth';
import { createPrismaClient, StageRecorder, TenantService, type PrismaClient, type Tenant } from '@kineo/db';
import { DomainError, errorCode, LOAD_REJECTED } from '@kineo/errors';
import { JobQueues, LOAD_STAGES } from '@kineo/jobs';
import { startTestStack, type TestStack } from '@kineo/testkit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { graphql, startGateway } from './support/gateway';
import { multipart, type FormPart } from './support/multipart';

const PASSWORD = 'correct horse battery staple';
const UPLOAD_LIMIT = 4096;
// A plan whose own upload limit is below the gateway's ceiling (UPLOAD_LIMIT), so the plan decides.
const PILOT_LIMIT = 2048;

const USERS_CSV = 'id,username,firstname,lastname\n1,boss,Bo,Ss\n2,ann,Ann,A\n';
const COURSES_CSV = 'id,fullname,shortname\n100,Safety,S\n';

describe('signing in and uploading export files', () => {
  let stack: TestStack;
  let app: NestFastifyApplication;
  let prisma: PrismaClient;
  let queues: JobQueues;
  let acme: Tenant;
  let globex: Tenant;
  const tokens: Record<string, string> = {};

  async function login(email: string, password: string, tenant?: string) {
    const tenantArg = tenant ? `, tenant: ${JSON.stringify(tenant)}` : '';
    return graphql<{ login: { token: string; expiresAt: string; role: string; tenant: { slug: string; name: string } | null } }>(
      app,
      `mutation { login(email: ${JSON.stringify(email)}, password: ${JSON.stringify(password)}${tenantArg}) { token expiresAt role tenant { slug name } } }`,
    );
  }

  function upload(parts: FormPart[], token?: string) {
    const { payload, headers } = multipart(parts);
    return app.inject({ method: 'POST', url: '/uploads', payload, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  }

  const landingOf = (tenant: Tenant) => path.join(stack.env.KINEO_DATA_DIR!, 'landing', tenant.namespace);
  const runFolders = (tenant: Tenant) => (fs.existsSync(landingOf(tenant)) ? fs.readdirSync(landingOf(tenant)).sort() : []);

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    queues = new JobQueues(stack.redisUrl);
    const tenants = new TenantService(prisma);
    const users = new UserService(prisma);
    await prisma.plan.create({ data: { code: 'pilot', name: 'Pilot', seatLimit: 10, rowLimit: 1000, uploadLimitBytes: PILOT_LIMIT, features: [] } });
    for (const [slug, name, planCode] of [['acme', 'Acme Health'], ['globex', 'Globex'], ['initech', 'Initech'], ['hooli', 'Hooli', 'pilot']]) {
      const tenant = await tenants.create({ slug: slug!, name: name!, planCode, actor: 'test' });
      await tenants.markActive(tenant.id, 'test');
    }
    acme = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
    globex = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' } });
    const accounts = [
      ['admin@acme.test', { tenantSlug: 'acme', role: 'org_admin' as const }],
      ['manager@acme.test', { tenantSlug: 'acme', role: 'manager' as const, lmsUserId: 7 }],
      ['admin@globex.test', { tenantSlug: 'globex', role: 'org_admin' as const }],
      ['admin@initech.test', { tenantSlug: 'initech', role: 'org_admin' as const }],
      ['admin@hooli.test', { tenantSlug: 'hooli', role: 'org_admin' as const }],
      ['ops@kineo.test', { ops: true as const }],
    ] as const;
    for (const [email, grant] of accounts) await users.create({ email, password: PASSWORD, grant, actor: 'test' });

    app = await startGateway(stack, { UPLOAD_MAX_BYTES: String(UPLOAD_LIMIT) });
    for (const [email] of accounts) {
      const reply = await login(email, PASSWORD);
      expect(reply.body.errors).toBeUndefined();
      tokens[email] = reply.body.data!.login.token;
    }
  });

  afterAll(async () => {
    await app?.close();
    await queues?.close();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  describe('login', () => {
    it('with a wrong password says UNAUTHENTICATED, exactly as for an email that does not exist', async () => {
      const wrongPassword = await login('admin@acme.test', 'not the password at all');
      const unknownEmail = await login('nobody@acme.test', 'not the password at all');

      expect(wrongPassword.body.data).toBeNull();
      expect(wrongPassword.body.errors).toEqual([
        expect.objectContaining({ message: 'The email or password is incorrect.', extensions: { code: 'UNAUTHENTICATED' } }),
      ]);
      expect(unknownEmail.body).toEqual(wrongPassword.body);
      expect(unknownEmail.status).toBe(wrongPassword.status);
    });

    it('returns a session token for the tenant, and `me` then tells who is signed in', async () => {
      const reply = await login('Admin@Acme.test', PASSWORD);
      const session = reply.body.data!.login;
      expect(session).toEqual({ token: expect.any(String), expiresAt: expect.any(String), role: 'org_admin', tenant: { slug: 'acme', name: 'Acme Health' } });
      expect(Date.parse(session.expiresAt) - Date.now()).toBeGreaterThan(11 * 3600 * 1000);

      const me = await graphql(app, '{ me { email role tenant { slug name } } }', { authorization: `Bearer ${session.token}` });
      expect(me.body).toEqual({ data: { me: { email: 'admin@acme.test', role: 'org_admin', tenant: { slug: 'acme', name: 'Acme Health' } } } });
    });

    it('gives Kineo ops a session with no tenant', async () => {
      const me = await graphql(app, '{ me { email role tenant { slug } } }', { authorization: `Bearer ${tokens['ops@kineo.test']}` });
      expect(me.body.data).toEqual({ me: { email: 'ops@kineo.test', role: 'kineo_ops', tenant: null } });
    });

    it('`me` without a session, or with a forged one, is UNAUTHENTICATED', async () => {
      const anonymous = await graphql(app, '{ me { email } }');
      const forged = await graphql(app, '{ me { email } }', { authorization: `Bearer ${tokens['admin@acme.test']!.slice(0, -4)}AAAA` });

      for (const reply of [anonymous, forged]) {
        expect(reply.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
      }
    });
  });

  describe('POST /uploads', () => {
    it('without a session is 401', async () => {
      const response = await upload([{ field: 'files', filename: 'users.csv', content: USERS_CSV }]);

      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(runFolders(acme)).toEqual([]);
    });

    it('as a manager is 403', async () => {
      const response = await upload([{ field: 'files', filename: 'users.csv', content: USERS_CSV }], tokens['manager@acme.test']);

      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'FORBIDDEN', message: 'This needs the org_admin role; you are manager.' });
      expect(runFolders(acme)).toEqual([]);
    });

    it('as Kineo ops, who act for no tenant, is 403', async () => {
      const response = await upload([{ field: 'files', filename: 'users.csv', content: USERS_CSV }], tokens['ops@kineo.test']);
      expect(response.statusCode).toBe(403);
    });

    it("as an org admin lands the files in the tenant's landing folder, records the load and queues its flow (202)", async () => {
      const response = await upload(
        [
          { field: 'files', filename: 'users.csv', content: USERS_CSV },
          { field: 'files', filename: 'courses.csv', content: COURSES_CSV },
          { field: 'asOf', content: '2025-06-30' },
        ],
        tokens['admin@acme.test'],
      );

      expect(response.statusCode).toBe(202);
      const receipt = response.json() as { ingestionRunId: string; buildRunId: string; asOf: string; files: { name: string; bytes: number }[] };
      expect(receipt).toEqual({
        ingestionRunId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        buildRunId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        asOf: '2025-06-30T00:00:00.000Z',
        files: [
          { name: 'users.csv', bytes: Buffer.byteLength(USERS_CSV) },
          { name: 'courses.csv', bytes: Buffer.byteLength(COURSES_CSV) },
        ],
      });

      const folder = path.join(landingOf(acme), receipt.ingestionRunId);
      expect(fs.readdirSync(folder).sort()).toEqual(['courses.csv', 'users.csv']);
      expect(fs.readFileSync(path.join(folder, 'users.csv'), 'utf8')).toBe(USERS_CSV);
      expect(fs.readFileSync(path.join(folder, 'courses.csv'), 'utf8')).toBe(COURSES_CSV);

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

      const status = await app.inject({ method: 'GET', url: `/uploads/${receipt.ingestionRunId}`, headers: { authorization: `Bearer ${tokens['admin@acme.test']}` } });
      expect(status.statusCode).toBe(200);
      expect(status.json()).toMatchObject({
        ingestionRunId: receipt.ingestionRunId,
        status: 'queued',
        source: 'upload',
        files: [
          { file: 'users.csv', status: null, rowsRead: null, rowsLoaded: null, rowsQuarantined: null },
          { file: 'courses.csv', status: null, rowsRead: null, rowsLoaded: null, rowsQuarantined: null },
        ],
        build: {
          buildRunId: receipt.buildRunId,
          status: 'queued',
          asOf: '2025-06-30T00:00:00.000Z',
          stages: LOAD_STAGES.map((stage) => ({ stage, status: 'pending' })),
        },
      });
      // The server's folders (its data directory, the tenant's namespace) stay inside.
      expect(status.body).not.toContain(folder);
      expect(status.body).not.toContain(acme.namespace);
    });

    it('refuses a file over UPLOAD_MAX_BYTES with 413 naming the file and the limit, keeping nothing', async () => {
      const foldersBefore = runFolders(acme);
      const runsBefore = await prisma.ingestionRun.count();

      const response = await upload(
        [
          { field: 'files', filename: 'users.csv', content: USERS_CSV },
          { field: 'files', filename: 'course_completions.csv', content: 'x'.repeat(UPLOAD_LIMIT + 1) },
        ],
        tokens['admin@acme.test'],
      );

      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({
        statusCode: 413,
        code: 'UPLOAD_TOO_LARGE',
        message:
          'The file "course_completions.csv" is larger than the upload limit of 4 KiB (4096 bytes) for the starter plan; nothing from this upload was kept. Split the export or change the plan.',
        details: { file: 'course_completions.csv', limitBytes: UPLOAD_LIMIT, plan: 'starter' },
      });
      expect(runFolders(acme)).toEqual(foldersBefore);
      expect(await prisma.ingestionRun.count()).toBe(runsBefore);
    });

    it('refuses a declared 10 GiB upload with 413 from its header, without waiting for the body', async () => {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.getHttpServer().address() as net.AddressInfo;
      const hostname = '127.0.0.1';
      const reply = await new Promise<string>((resolve, reject) => {
        // Only the headers are ever sent: a server that waits for the body never answers.
        const socket = net.connect(Number(port), hostname, () => {
          socket.write(
            `POST /uploads HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${tokens['admin@acme.test']}\r\n` +
              `Content-Type: multipart/form-data; boundary=x\r\nContent-Length: ${10 * 1024 ** 3}\r\n\r\n`,
          );
        });
        let received = '';
        socket.on('data', (d: Buffer) => (received += d.toString()));
        socket.on('end', () => resolve(received));
        socket.on('error', reject);
      });
      expect(reply).toMatch(/^HTTP\/1\.1 413 /);
      const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
      expect(body).toMatchObject({ statusCode: 413, code: 'UPLOAD_TOO_LARGE', details: { declaredBytes: 10 * 1024 ** 3 } });
      expect(body.message).toMatch(/^The upload declares 10737418240 bytes, over the limit of \d+ bytes for one request/);
    });

    describe("under the tenant's plan's own upload limit (pilot: 2 KiB, below the 4 KiB ceiling)", () => {
      /** Sends `head` (request line and headers) and `body` over a socket; resolves with the whole answer. */
      async function raw(head: string, body?: Buffer): Promise<{ status: number; headers: string; body: Record<string, unknown> }> {
        if (!app.getHttpServer().listening) await app.listen({ host: '127.0.0.1', port: 0 });
        const { port } = app.getHttpServer().address() as net.AddressInfo;
        const reply = await new Promise<string>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => {
            socket.write(`${head}\r\n`);
            if (body) socket.write(body);
          });
          let received = '';
          socket.on('data', (d: Buffer) => (received += d.toString()));
          socket.on('end', () => resolve(received));
          socket.on('error', reject);
        });
        const split = reply.indexOf('\r\n\r\n');
        return { status: Number(reply.slice(9, 12)), headers: reply.slice(0, split), body: JSON.parse(reply.slice(split + 4)) };
      }

      it('refuses a 3000-byte file that the ceiling would take: 413 naming the file, the plan and its limit, keeping nothing', async () => {
        const hooli = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'hooli' } });
        const response = await upload([{ field: 'files', filename: 'users.csv', content: 'z'.repeat(3000) }], tokens['admin@hooli.test']);

        expect(response.statusCode).toBe(413);
        expect(response.json()).toEqual({
          statusCode: 413,
          code: 'UPLOAD_TOO_LARGE',
          message:
            'The file "users.csv" is larger than the upload limit of 2 KiB (2048 bytes) for the pilot plan; nothing from this upload was kept. Split the export or change the plan.',
          details: { file: 'users.csv', limitBytes: PILOT_LIMIT, plan: 'pilot' },
        });
        expect(runFolders(hooli)).toEqual([]);
        expect(await prisma.ingestionRun.count({ where: { tenantId: hooli.id } })).toBe(0);
      });

      it("refuses from the declared Content-Length what is over the plan's request limit though under the ceiling's, before the body", async () => {
        // 100 files of the plan's limit plus the multipart allowance: over it by one byte, and under the
        // ceiling's own request limit (100 files of 4 KiB), so only the plan can refuse it.
        const declared = 100 * PILOT_LIMIT + 1024 ** 2 + 1;
        const reply = await raw(
          `POST /uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tokens['admin@hooli.test']}\r\n` +
            `Content-Type: multipart/form-data; boundary=x\r\nContent-Length: ${declared}\r\n`,
        );

        expect(reply.status).toBe(413);
        expect(reply.headers).toMatch(/^connection: close$/im);
        expect(reply.body).toMatchObject({ code: 'UPLOAD_TOO_LARGE', details: { declaredBytes: declared, fileLimitBytes: PILOT_LIMIT, plan: 'pilot' } });
        expect(reply.body.message).toBe(
          `The upload declares ${declared} bytes, over the limit of ${declared - 1} bytes for one request on the pilot plan (files of at most 2048 bytes each); nothing from this upload was kept.`,
        );
      });

      it('refuses a file over the limit while streaming when no length is declared (chunked)', async () => {
        const { payload, headers } = multipart([{ field: 'files', filename: 'course_completions.csv', content: 'q'.repeat(3000) }]);
        const chunked = Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n0\r\n\r\n')]);
        const reply = await raw(
          `POST /uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tokens['admin@hooli.test']}\r\n` +
            `Content-Type: ${headers['content-type']}\r\nTransfer-Encoding: chunked\r\n`,
          chunked,
        );

        expect(reply.status).toBe(413);
        expect(reply.body).toMatchObject({
          code: 'UPLOAD_TOO_LARGE',
          message: expect.stringMatching(/^The file "course_completions\.csv" is larger than the upload limit of 2 KiB \(2048 bytes\) for the pilot plan/),
        });
      });

      it('takes a file of exactly the plan\'s limit, and shows ops the limit with the plan', async () => {
        const response = await upload([{ field: 'files', filename: 'users.csv', content: USERS_CSV.padEnd(PILOT_LIMIT, 'x') }], tokens['admin@hooli.test']);
        expect(response.statusCode).toBe(202);

        const ops = await graphql<{ tenant: { plan: { code: string; uploadLimitBytes: number } } }>(app, '{ tenant(slug: "hooli") { plan { code uploadLimitBytes } } }', {
          authorization: `Bearer ${tokens['ops@kineo.test']}`,
        });
        expect(ops.body.data?.tenant.plan).toEqual({ code: 'pilot', uploadLimitBytes: PILOT_LIMIT });
        const acmeView = await graphql<{ tenant: { plan: { uploadLimitBytes: number } } }>(app, '{ tenant(slug: "acme") { plan { uploadLimitBytes } } }', {
          authorization: `Bearer ${tokens['ops@kineo.test']}`,
        });
        // Starter allows 256 MiB; this gateway's UPLOAD_MAX_BYTES caps it.
        expect(acmeView.body.data?.tenant.plan.uploadLimitBytes).toBe(UPLOAD_LIMIT);
      });
    });

    it('takes a file of exactly UPLOAD_MAX_BYTES', async () => {
      const response = await upload([{ field: 'files', filename: 'users.csv', content: 'y'.repeat(UPLOAD_LIMIT) }], tokens['admin@acme.test']);

      expect(response.statusCode).toBe(202);
      expect(response.json().files).toEqual([{ name: 'users.csv', bytes: UPLOAD_LIMIT }]);
    });

    it('keeps only the base name of a file name with a path: ../../etc/passwd.csv lands as passwd.csv in the run folder', async () => {
      const response = await upload([{ field: 'files', filename: '../../etc/passwd.csv', content: USERS_CSV }], tokens['admin@acme.test']);

      expect(response.statusCode).toBe(202);
      const { ingestionRunId, files } = response.json() as { ingestionRunId: string; files: { name: string }[] };
      expect(files).toEqual([{ name: 'passwd.csv', bytes: Buffer.byteLength(USERS_CSV) }]);
      expect(fs.readdirSync(path.join(landingOf(acme), ingestionRunId))).toEqual(['passwd.csv']);
      expect(fs.existsSync(path.join(stack.env.KINEO_DATA_DIR!, 'etc'))).toBe(false);
      expect(fs.existsSync(path.join(landingOf(acme), '..', 'etc'))).toBe(false);
    });

    it("names a file as it was sent, 'users (1).csv', in the receipt, the load's files and its job, though it lands as users__1_.csv", async () => {
      const response = await upload([{ field: 'files', filename: 'users (1).csv', content: USERS_CSV }], tokens['admin@acme.test']);

      expect(response.statusCode).toBe(202);
      const { ingestionRunId, files } = response.json() as { ingestionRunId: string; files: { name: string }[] };
      expect(files).toEqual([{ name: 'users (1).csv', bytes: Buffer.byteLength(USERS_CSV) }]);
      const folder = path.join(landingOf(acme), ingestionRunId);
      expect(fs.readdirSync(folder)).toEqual(['users__1_.csv']);
      const status = await app.inject({ method: 'GET', url: `/uploads/${ingestionRunId}`, headers: { authorization: `Bearer ${tokens['admin@acme.test']}` } });
      expect(status.json()).toMatchObject({ files: [{ file: 'users (1).csv' }] });
      // The worker reads it where it landed and reports it by the name sent (its refusal: libs/pipeline's ingest tests).
      const ingest = await queues.queue('ingest').getJob(`${ingestionRunId}-ingest`);
      expect(ingest!.data.data.files).toEqual([{ name: 'users__1_.csv', path: path.join(folder, 'users__1_.csv'), uploadedAs: 'users (1).csv' }]);
    });

    it('refuses a file that is not .csv or .xlsx with 400 naming it, keeping nothing', async () => {
      const foldersBefore = runFolders(acme);
      const response = await upload(
        [
          { field: 'files', filename: 'users.csv', content: USERS_CSV },
          { field: 'files', filename: 'payload.exe', content: 'MZ' },
        ],
        tokens['admin@acme.test'],
      );

      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'UPLOAD_FILE_NAME_INVALID', message: expect.stringContaining('"payload.exe"') });
      expect(runFolders(acme)).toEqual(foldersBefore);
    });

    it('refuses an asOf that is not a date, and an upload with no files', async () => {
      const badDate = await upload(
        [
          { field: 'asOf', content: 'last tuesday' },
          { field: 'files', filename: 'users.csv', content: USERS_CSV },
        ],
        tokens['admin@acme.test'],
      );
      const noFiles = await upload([{ field: 'asOf', content: '2025-06-30' }], tokens['admin@acme.test']);

      expect(badDate.statusCode).toBe(400);
      expect(badDate.json()).toMatchObject({ code: 'UPLOAD_FIELD_INVALID', message: expect.stringContaining('"last tuesday"') });
      expect(noFiles.statusCode).toBe(400);
      expect(noFiles.json()).toMatchObject({ code: 'UPLOAD_EMPTY' });
    });

    it("does not let another tenant's admin read an upload's status: 404, as for an id that does not exist", async () => {
      const response = await upload([{ field: 'files', filename: 'users.csv', content: USERS_CSV }], tokens['admin@acme.test']);
      const { ingestionRunId } = response.json() as { ingestionRunId: string };
      const read = (id: string, email: string) =>
        app.inject({ method: 'GET', url: `/uploads/${id}`, headers: { authorization: `Bearer ${tokens[email]}` } });

      const asOwner = await read(ingestionRunId, 'admin@acme.test');
      const asOtherTenant = await read(ingestionRunId, 'admin@globex.test');
      const unknown = await read('7c9e6679-7425-40de-944b-e07fc1f90ae7', 'admin@globex.test');
      const notAnId = await read('..%2F..%2Fetc', 'admin@globex.test');

      expect(asOwner.statusCode).toBe(200);
      expect(asOtherTenant.statusCode).toBe(404);
      expect(asOtherTenant.json()).toMatchObject({ code: 'UPLOAD_NOT_FOUND' });
      expect(unknown.statusCode).toBe(404);
      expect(notAnId.statusCode).toBe(404);
      expect(runFolders(globex)).toEqual([]);
    });

    it("shows why a load failed only when the failure's code says the text was written for the customer", async () => {
      // Fails the load the way the worker does: the run, its build and the ingest stage get the text and the code.
      async function failLoad(error: Error) {
        const response = await upload([{ field: 'files', filename: 'users.csv', content: USERS_CSV }], tokens['admin@acme.test']);
        const { ingestionRunId, buildRunId } = response.json() as { ingestionRunId: string; buildRunId: string };
        const build = await StageRecorder.resume(prisma, buildRunId);
        await build.stage('ingest', () => Promise.reject(error)).catch(() => undefined);
        await build.fail(error);
        await prisma.ingestionRun.update({
          where: { id: ingestionRunId },
          data: { status: 'failed', error: error.message, failureCode: errorCode(error), finishedAt: new Date() },
        });
        const status = await app.inject({ method: 'GET', url: `/uploads/${ingestionRunId}`, headers: { authorization: `Bearer ${tokens['admin@acme.test']}` } });
        expect(status.statusCode).toBe(200);
        const body = status.json() as { error: string; build: { error: string; stages: { stage: string; error?: string }[] } };
        return { ingestionRunId, shown: [body.error, body.build.error, body.build.stages.find((s) => s.stage === 'ingest')?.error] };
      }
      const rejection = 'The load was rejected and nothing was changed:\n  courses.csv: the header lacks fullname';

      const rejected = await failLoad(new DomainError(LOAD_REJECTED, rejection));
      const internal = await failLoad(new DomainError('WAREHOUSE_QUERY_FAILED', 'IO Error: /srv/kineo/warehouse/t_000001/work.duckdb'));
      const lookalike = await failLoad(new Error(`${rejection} (and /srv/kineo/warehouse)`));

      expect(rejected.shown).toEqual([rejection, rejection, rejection]);
      for (const { ingestionRunId, shown } of [internal, lookalike]) {
        expect(shown).toEqual(Array(3).fill(`The load failed; Kineo support can see why (load ${ingestionRunId}).`));
      }
    });
  });

  describe('a suspended tenant', () => {
    it('has its sessions refused with TENANT_SUSPENDED, in GraphQL and on uploads', async () => {
      await prisma.tenant.update({ where: { slug: 'initech' }, data: { status: 'suspended' } });
      const headers = { authorization: `Bearer ${tokens['admin@initech.test']}` };

      const me = await graphql(app, '{ me { email } }', headers);
      const response = await upload([{ field: 'files', filename: 'users.csv', content: USERS_CSV }], tokens['admin@initech.test']);
      const again = await login('admin@initech.test', PASSWORD);

      expect(me.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'TENANT_SUSPENDED' } })]);
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'TENANT_SUSPENDED' });
      expect(again.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'TENANT_SUSPENDED' } })]);
    });
  });
});
