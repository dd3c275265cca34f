import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { UserService } from '@kineo/auth';
import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { freePort, startTestStack, waitForPort, type TestStack } from '@kineo/testkit';
import { runCli } from '../test/run-cli';
import { exitOf, followLog, startWorkerProcess, stopProcess, type ProcessLog } from '../test/worker-process';

const gatewayMain = path.join(__dirname, '..', '..', 'gateway', 'dist', 'main.js');
const PASSWORD = 'faults-password-not-secret';
// One row per enrolment: for 10,000 learners some 15 MB of CSV, far more than loopback's socket
// buffers hold, so the export cannot finish while its reader is paused.
const EXPORT = {
  format: 'csv',
  query: {
    measures: ['CourseProgress.count'],
    dimensions: ['Learner.userId', 'Learner.fullName', 'CourseProgress.courseName', 'CourseProgress.status', 'CourseProgress.enrolledDate'],
  },
};

interface Response {
  status: number;
  body: Buffer;
}

/** One request on its own connection (no shared agent), its body written by `send`. */
function request(port: number, method: string, url: string, headers: Record<string, string | number>) {
  const req = http.request({ host: '127.0.0.1', port, method, path: url, headers, agent: false });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  const whole = response.then(
    (res) =>
      new Promise<Response>((resolve, reject) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
        res.once('error', reject);
      }),
  );
  whole.catch(() => undefined);
  return { req, response, whole };
}

/** A multipart/form-data body of every file in `dir`, as a browser sends an upload form. */
function multipartBody(dir: string, boundary: string): Buffer {
  const parts: Buffer[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n`));
    parts.push(fs.readFileSync(path.join(dir, name)));
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

// SIGTERM of a gateway with an upload still arriving and an export still streaming: both finish
// with their whole content, a new request is refused (connection refused or 503), and the process
// exits 0 (past GATEWAY_SHUTDOWN_GRACE_MS it would exit 1).
describe('SIGTERM of the gateway with requests in flight', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let worker: ChildProcess | undefined;
  let gateway: ChildProcess | undefined;
  let log: ProcessLog;
  let port: number;
  let token: string;
  let uploadDir: string;

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    worker = await startWorkerProcess(stack.env);
    expect((await runCli(['tenant', 'create', 'acme', '--name', 'Acme', '--wait'], stack.env)).code).toBe(0);
    const big = path.join(stack.dir, 'export-big');
    expect((await runCli(['generate', big, '--users', '10000', '--years', '1', '--as-of', '2025-06-30'], stack.env)).code).toBe(0);
    expect((await runCli(['ingest', 'acme', big, '--as-of', '2025-06-30'], stack.env)).code).toBe(0);
    uploadDir = path.join(stack.dir, 'export-upload');
    expect((await runCli(['generate', uploadDir, '--users', '500', '--seed', '2', '--years', '1', '--as-of', '2025-06-30'], stack.env)).code).toBe(0);
    await new UserService(prisma).create({ email: 'admin@acme.example', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'org_admin' }, actor: 'faults' });

    port = await freePort();
    gateway = spawn(process.execPath, [gatewayMain], {
      env: { ...process.env, ...stack.env, LOG_LEVEL: 'info', GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port), GATEWAY_SHUTDOWN_GRACE_MS: '300000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Read from the start: a pipe nobody reads would stall the gateway's logging.
    log = followLog(gateway);
    await waitForPort(port, '127.0.0.1', 120_000);
    const login = request(port, 'POST', '/graphql', { 'content-type': 'application/json' });
    login.req.end(JSON.stringify({ query: `mutation { login(email: "admin@acme.example", password: "${PASSWORD}") { token } }` }));
    const answer = JSON.parse((await login.whole).body.toString()) as { data: { login: { token: string } } };
    token = answer.data.login.token;
  });

  afterAll(async () => {
    await stopProcess(gateway);
    await stopProcess(worker);
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it('finishes an upload still arriving and an export still streaming, refuses new requests, and exits 0', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const exportBody = JSON.stringify(EXPORT);
    const exportHeaders = { ...auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(exportBody) };
    const exported = (() => {
      const r = request(port, 'POST', '/exports', exportHeaders);
      r.req.end(exportBody);
      return r.whole;
    })();
    const whole = await exported;
    expect(whole.status).toBe(200);
    const expectedCsv = whole.body.toString();

    // The export, read one chunk and then not at all: the gateway is left with most of it to send.
    const slow = request(port, 'POST', '/exports', exportHeaders);
    slow.req.end(exportBody);
    const slowResponse = await slow.response;
    expect(slowResponse.statusCode).toBe(200);
    await new Promise((resolve) => slowResponse.once('data', resolve));
    slowResponse.pause();

    // The upload, half sent: the gateway has begun writing it to the landing folder.
    const boundary = 'kineo-faults-boundary';
    const body = multipartBody(uploadDir, boundary);
    const upload = request(port, 'POST', '/uploads', { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length });
    const half = Math.floor(body.length / 2);
    upload.req.write(body.subarray(0, half));
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
    const landing = path.join(stack.env.KINEO_DATA_DIR, 'landing', tenant.namespace);
    const runsBefore = await prisma.ingestionRun.count({ where: { tenantId: tenant.id } });
    for (;;) {
      const landed = fs.existsSync(landing) ? fs.readdirSync(landing).flatMap((run) => fs.readdirSync(path.join(landing, run))) : [];
      if (landed.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const exportsInFlight = async () =>
      (await prisma.auditEvent.findMany({ where: { tenantId: tenant.id, action: 'analytics.exported' } })).filter(
        (e) => (e.details as { completed?: boolean }).completed === undefined,
      ).length;
    expect(await exportsInFlight()).toBe(1);

    const exited = exitOf(gateway!);
    gateway!.kill('SIGTERM');
    await log.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('SIGTERM: draining requests in flight'));
    // Both are still in flight: the upload has not been answered and the export has not been written whole.
    expect(await exportsInFlight()).toBe(1);
    expect(await prisma.ingestionRun.count({ where: { tenantId: tenant.id } })).toBe(runsBefore);

    // A new request is not taken: the listener is closed (refused) or it is answered 503.
    const fresh = request(port, 'GET', '/health/live', {});
    fresh.req.end();
    const refused = await fresh.whole.then(
      (r) => r.status,
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect([503, 'ECONNREFUSED', 'ECONNRESET']).toContain(refused);

    upload.req.end(body.subarray(half));
    slowResponse.resume();
    const [uploaded, slowWhole] = await Promise.all([upload.whole, slow.whole]);

    expect(uploaded.status).toBe(202);
    const receipt = JSON.parse(uploaded.body.toString()) as { ingestionRunId: string; files: { name: string; bytes: number }[] };
    const sent = Object.fromEntries(fs.readdirSync(uploadDir).map((name) => [name, fs.statSync(path.join(uploadDir, name)).size]));
    expect(Object.fromEntries(receipt.files.map((f) => [f.name, f.bytes]))).toEqual(sent);
    expect(await prisma.ingestionRun.findUnique({ where: { id: receipt.ingestionRunId } })).not.toBeNull();
    expect(slowWhole.status).toBe(200);
    expect(slowWhole.body.toString()).toBe(expectedCsv);
    expect(await exportsInFlight()).toBe(0);

    expect(await exited).toEqual({ code: 0, signal: null });
    const stoppedAt = log.indexOf((l) => l.msg === 'drained and stopped');
    expect(stoppedAt).toBeGreaterThan(log.indexOf((l) => typeof l.msg === 'string' && l.msg.startsWith('SIGTERM: draining')));
  });
});
