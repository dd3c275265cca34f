import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { UserService } from '@kineo/auth';
import { createPrismaClient, TenantService, type PrismaClient } from '@kineo/db';
import { freePort, startTestStack, type TestStack } from '@kineo/testkit';

// The built entry point, as the container runs it: two of them are two replicas behind a balancer.
const MAIN = path.join(__dirname, '..', 'dist', 'main.js');
const PASSWORD = 'correct horse battery staple';
const TUS = { 'tus-resumable': '1.0.0' };
const USERS_CSV = Buffer.from(
  ['id,username,firstname,lastname', ...Array.from({ length: 2000 }, (_, i) => `${i + 1},user${i + 1},First${i + 1},Last${i + 1}`)].join('\n') + '\n',
);

interface Replica {
  url: string;
  child: ChildProcess;
}

async function startReplica(env: Record<string, string>): Promise<Replica> {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build -w @kineo/gateway" first`);
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env, LOG_LEVEL: 'info', GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.includes('Gateway listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`a gateway replica exited with ${code} before listening`)));
  });
  child.removeAllListeners('exit');
  return { url: `http://127.0.0.1:${port}`, child };
}

function stopReplica(replica: Replica | undefined): Promise<void> {
  if (!replica || replica.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    replica.child.once('exit', () => resolve());
    replica.child.kill('SIGTERM');
  });
}

describe('resumable uploads across two gateway replicas (one Redis, one Postgres, one data folder)', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let a: Replica;
  let b: Replica;
  let token: string;
  let namespace: string;

  const headers = () => ({ ...TUS, authorization: `Bearer ${token}` });
  const patch = (replica: Replica, url: string, offset: number, body: Buffer) =>
    fetch(replica.url + url, {
      method: 'PATCH',
      headers: { ...headers(), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
      body,
    });
  const offsetOn = async (replica: Replica, url: string) => Number((await fetch(replica.url + url, { method: 'HEAD', headers: headers() })).headers.get('upload-offset'));

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 1 });
    const tenants = new TenantService(prisma);
    const tenant = await tenants.create({ slug: 'acme', name: 'Acme', actor: 'test' });
    await tenants.markActive(tenant.id, 'test');
    namespace = tenant.namespace;
    await new UserService(prisma).create({ email: 'admin@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'org_admin' }, actor: 'test' });
    // One after the other: the first creates the session key in the shared secret store.
    a = await startReplica(stack.env);
    b = await startReplica(stack.env);
    const login = await fetch(`${a.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { login(email: "admin@acme.test", password: ${JSON.stringify(PASSWORD)}) { token } }` }),
    });
    token = ((await login.json()) as { data: { login: { token: string } } }).data.login.token;
  });

  afterAll(async () => {
    await Promise.all([stopReplica(a), stopReplica(b)]);
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it('refuses a PATCH on one replica while another is writing the upload, keeps one offset, and completes on the other replica', async () => {
    const created = await fetch(`${a.url}/uploads/resumable`, {
      method: 'POST',
      headers: { ...headers(), 'upload-length': String(USERS_CSV.length), 'upload-metadata': `filename ${Buffer.from('users.csv').toString('base64')}` },
    });
    expect(created.status).toBe(201);
    const url = created.headers.get('location')!;
    const file = path.join(stack.env.KINEO_DATA_DIR, 'landing', namespace, '.resumable', url.split('/').pop()!);
    const half = Math.floor(USERS_CSV.length / 2);

    // Replica A is mid-PATCH: the first half has arrived and the request is still open.
    const { port } = new URL(a.url);
    const slow = http.request({
      host: '127.0.0.1',
      port: Number(port),
      method: 'PATCH',
      path: url,
      headers: { ...headers(), 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    });
    const slowReply = new Promise<number>((resolve, reject) => {
      slow.on('response', (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      slow.on('error', reject);
    });
    slow.write(USERS_CSV.subarray(0, half));
    for (;;) {
      if (fs.existsSync(file) && fs.statSync(file).size === half) break;
      await new Promise((r) => setTimeout(r, 20));
    }

    // Replica B is asked to write the same upload meanwhile: refused, and nothing is appended.
    const refused = await patch(b, url, half, USERS_CSV.subarray(half));
    expect(refused.status).toBe(423);
    expect(await refused.text()).toContain('is being written by another request');
    const early = await fetch(`${b.url}/uploads/complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ uploadIds: [url.split('/').pop()] }),
    });
    expect(early.status).toBe(409);
    expect(fs.statSync(file).size).toBe(half);

    // A's request ends with the half it had; both replicas then report the same offset.
    slow.end();
    expect(await slowReply).toBe(204);
    expect(await offsetOn(a, url)).toBe(half);
    expect(await offsetOn(b, url)).toBe(half);
    // A PATCH at a stale offset is refused on either replica.
    expect((await patch(b, url, 0, USERS_CSV.subarray(0, 10))).status).toBe(409);

    // The client resumes on B and finishes there; B starts the load.
    const resumed = await patch(b, url, half, USERS_CSV.subarray(half));
    expect(resumed.status).toBe(204);
    expect(await offsetOn(a, url)).toBe(USERS_CSV.length);
    const done = await fetch(`${b.url}/uploads/complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ uploadIds: [url.split('/').pop()] }),
    });
    expect(done.status).toBe(202);
    const receipt = (await done.json()) as { ingestionRunId: string };
    const run = await prisma.ingestionRun.findUniqueOrThrow({ where: { id: receipt.ingestionRunId } });
    expect(run.status).toBe('queued');
    const landed = path.join(stack.env.KINEO_DATA_DIR, 'landing', namespace, receipt.ingestionRunId, 'users.csv');
    expect(fs.readFileSync(landed).equals(USERS_CSV)).toBe(true);
  });
});
