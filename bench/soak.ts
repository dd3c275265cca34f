// bench/soak: 30 virtual users on the gateway for SOAK_MINUTES (default 10) while loads run one after
// another: analytics queries, dashboards, `me` and, now and then, signing in again. Reports every
// error (the bar is 0), p95 per window, and the gateway's and worker's resident memory sampled over
// time with its slope (least squares), for docs/reliability.md.
// Run: npm run test:soak   (SOAK_MINUTES=1 npm run test:soak for a short run)
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DASHBOARDS } from '@kineo/analytics';
import { UserService } from '@kineo/auth';
import { createPrismaClient } from '@kineo/db';
import { generateExport } from '@kineo/generator';
import { freePort, startTestStack, startWorkerProcess, stopProcess, waitForPort } from '@kineo/testkit';
import { ROOT, tileFailures } from './support';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const VIRTUAL_USERS = 30;
const WINDOW_MS = 30_000;
const THINK_MS = 100;
const USERS_PER_LOAD = 2_000;
const PASSWORD = 'soak-password-not-secret';
const KINEO = path.join(ROOT, 'apps/cli/bin/kineo.js');

const percentile = (values: number[], p: number) =>
  values.length === 0 ? 0 : [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
const mib = (bytes: number) => bytes / 1024 ** 2;

function rssOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [KINEO, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Sample {
  at: number;
  requests: number;
  errors: number;
  p95: number;
  gatewayRss: number;
  workerRss: number;
  loadsDone: number;
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-soak-'));
  fs.chmodSync(work, 0o755);
  const stack = await startTestStack();
  let worker: ChildProcess | undefined;
  let gateway: ChildProcess | undefined;
  try {
    const env = { ...stack.env, LOG_LEVEL: 'warn' };
    worker = await startWorkerProcess(path.join(ROOT, 'apps/worker/dist/main.js'), env);
    const port = await freePort();
    gateway = spawn(process.execPath, [path.join(ROOT, 'apps/gateway/dist/main.js')], {
      // The soak measures errors under load, not the per-user rate limit (which would answer some of 30 busy users by design).
      env: { ...process.env, ...env, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port), ANALYTICS_RATE_LIMIT_PER_USER: '1000000000', ANALYTICS_RATE_LIMIT_PER_TENANT: '1000000000' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitForPort(port, '127.0.0.1', 120_000);
    const url = `http://127.0.0.1:${port}/graphql`;

    const created = await cli(['tenant', 'create', 'soak', '--name', 'Soak', '--wait'], env);
    if (created.code !== 0) throw new Error(created.stderr);
    const exports: string[] = [];
    for (const seed of [1, 2]) {
      const dir = path.join(work, `export-${seed}`);
      await generateExport({ dir, users: USERS_PER_LOAD, seed, asOf: new Date('2025-06-30T00:00:00Z') });
      exports.push(dir);
    }
    const first = await cli(['ingest', 'soak', exports[0], '--as-of', '2025-06-30'], env);
    if (first.code !== 0) throw new Error(`the first load failed: ${first.stderr}`);

    const prisma = createPrismaClient(stack.databaseUrl);
    const users = new UserService(prisma);
    const emails = Array.from({ length: VIRTUAL_USERS }, (_, i) => `vu${i}@soak.example`);
    for (const email of emails) await users.create({ email, password: PASSWORD, grant: { tenantSlug: 'soak', role: 'org_admin' }, actor: 'soak' });
    await prisma.$disconnect();

    const dashboards = DASHBOARDS.filter((d) => d.roles.includes('org_admin')).map((d) => d.id);
    const operations = [
      (i: number) => `{ dashboard(id: ${JSON.stringify(dashboards[i % dashboards.length])}) { dataVersion tiles { id result { cached } error { code message } } } }`,
      () => '{ analytics(query: { measures: ["CourseProgress.count", "CourseProgress.completionRate"], dimensions: ["CourseProgress.status"] }) { dataVersion rows } }',
      () => '{ analytics(query: { measures: ["CourseProgress.count"], dimensions: ["CourseProgress.courseType"] }) { rows } }',
      () => '{ me { email role } }',
    ];
    const errors: string[] = [];
    let latencies: number[] = [];
    let requests = 0;
    let windowErrors = 0;

    const post = async (query: string, token?: string) => {
      const start = process.hrtime.bigint();
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query }),
        });
        const body = (await response.json()) as { data?: Record<string, unknown>; errors?: { message: string; extensions?: { code?: string } }[] };
        if (!response.ok || body.errors) throw new Error(`${response.status} ${JSON.stringify(body.errors ?? body).slice(0, 300)}`);
        const failed = tileFailures(body.data);
        if (failed.length > 0) throw new Error(`failed tiles: ${failed.join('; ').slice(0, 300)}`);
        return body.data!;
      } catch (error) {
        windowErrors++;
        if (errors.length < 50) errors.push(`${new Date().toISOString()} ${query.slice(0, 60)}: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      } finally {
        requests++;
        latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    };
    const signIn = async (email: string) =>
      ((await post(`mutation { login(email: "${email}", password: "${PASSWORD}") { token } }`)) as { login: { token: string } } | undefined)?.login.token;

    const started = Date.now();
    const deadline = started + MINUTES * 60_000;
    let loadsDone = 0;
    let loadsFailed = 0;
    const loads = (async () => {
      for (let i = 1; Date.now() < deadline; i++) {
        const outcome = await cli(['ingest', 'soak', exports[i % 2], '--as-of', '2025-06-30'], env);
        if (outcome.code === 0) loadsDone++;
        else {
          loadsFailed++;
          errors.push(`load ${i} failed: ${outcome.stderr.slice(0, 300)}`);
        }
      }
    })();
    const virtualUser = async (n: number) => {
      let token = await signIn(emails[n]);
      for (let i = 0; Date.now() < deadline; i++) {
        // Now and then a user signs in again, as sessions end and people come back.
        if (i % 50 === 49) token = (await signIn(emails[n])) ?? token;
        await post(operations[i % operations.length](i + n), token);
        await new Promise((r) => setTimeout(r, THINK_MS));
      }
    };

    const samples: Sample[] = [];
    const sampler = setInterval(() => {
      samples.push({
        at: Date.now() - started,
        requests,
        errors: windowErrors,
        p95: percentile(latencies, 95),
        gatewayRss: rssOf(gateway?.pid),
        workerRss: rssOf(worker?.pid),
        loadsDone,
      });
      latencies = [];
      windowErrors = 0;
      const s = samples.at(-1)!;
      console.log(`${(s.at / 60_000).toFixed(1)} min: ${s.requests} requests, ${s.errors} errors in the window, p95 ${s.p95.toFixed(0)} ms, gateway ${mib(s.gatewayRss).toFixed(0)} MiB, worker ${mib(s.workerRss).toFixed(0)} MiB, ${s.loadsDone} loads done`);
    }, WINDOW_MS);
    await Promise.all([...Array.from({ length: VIRTUAL_USERS }, (_, n) => virtualUser(n)), loads]);
    clearInterval(sampler);

    const totalErrors = errors.filter((e) => !e.startsWith('load ')).length;
    const half = samples.slice(Math.floor(samples.length / 2));
    const perMinute = (key: 'gatewayRss' | 'workerRss', points: Sample[]) => mib(slope(points.map((s) => ({ x: s.at / 60_000, y: s[key] }))));
    console.log('');
    console.log(`soak: ${VIRTUAL_USERS} virtual users, ${MINUTES} min, ${os.cpus().length} cores; ${requests} requests, ${totalErrors} request errors; loads: ${loadsDone} succeeded, ${loadsFailed} failed (${USERS_PER_LOAD} users each)`);
    console.log('');
    console.log('| minute | requests so far | p95 (ms) | gateway RSS (MiB) | worker RSS (MiB) | loads done |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const s of samples) {
      console.log(`| ${(s.at / 60_000).toFixed(1)} | ${s.requests} | ${s.p95.toFixed(0)} | ${mib(s.gatewayRss).toFixed(0)} | ${mib(s.workerRss).toFixed(0)} | ${s.loadsDone} |`);
    }
    console.log('');
    console.log(
      `RSS slope, whole run: gateway ${perMinute('gatewayRss', samples).toFixed(2)} MiB/min, worker ${perMinute('workerRss', samples).toFixed(2)} MiB/min; ` +
        `second half: gateway ${perMinute('gatewayRss', half).toFixed(2)} MiB/min, worker ${perMinute('workerRss', half).toFixed(2)} MiB/min`,
    );
    for (const e of errors) console.log(`error: ${e}`);
    if (totalErrors > 0 || loadsFailed > 0) process.exitCode = 1;
  } finally {
    await stopProcess(gateway);
    await stopProcess(worker);
    await stack.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
