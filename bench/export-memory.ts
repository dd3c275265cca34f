// bench/export-memory: the gateway's resident memory while it streams a CSV and an XLSX export of over
// a million rows, against the same export cut to 50,000 rows (the most a query may ask for) in the same run: memory that holds flat
// grows by about as much for both, whatever the rows.
// Run: KINEO_BENCH_CACHE=<folder> npm run bench:export-memory [-- <users>]
// (the folder of a tenant bench:gateway built, e.g. 600,000 users: 10.7M course-progress rows).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { compileQuery, type AnalyticsQuery } from '@kineo/analytics';
import { UserService } from '@kineo/auth';
import { createPrismaClient, TenantService } from '@kineo/db';
import { duckdbDialect } from '@kineo/warehouse';
import { freePort, waitForPort } from '@kineo/testkit';
import { fmt, gatewayImageEnv, generate, ingestThroughStack, ROOT } from './support';

const users = Number(process.argv[2] ?? 600_000);
const PASSWORD = 'bench-password-not-secret';
const MIB = 1024 * 1024;
const SAMPLE_EVERY_MS = 50;
// Every learner's enrolments by status: about 2.5 rows a learner, so over a million on 600,000 users.
const QUERY = { measures: ['CourseProgress.count'], dimensions: ['Learner.userId', 'CourseProgress.status'], order: [{ member: 'Learner.userId', direction: 'asc' }] };
const CUT = 50_000;

function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

async function startGateway(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'apps/gateway/dist/main.js')], {
    env: { ...process.env, ...gatewayImageEnv(), ...env, LOG_LEVEL: 'warn', GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port), ANALYTICS_CACHE_ENABLED: 'false' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(port, '127.0.0.1', 60_000);
  return { child, port };
}

function post(port: number, pathname: string, body: unknown, token?: string, onData?: (chunk: Buffer) => void): Promise<{ status: number; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, path: pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...(token ? { authorization: `Bearer ${token}` } : {}) } },
      (res) => {
        let bytes = 0;
        const kept: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (onData) onData(chunk);
          else kept.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, text: Buffer.concat(kept).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** One export, its bytes read and dropped as they come (as a browser saving it), the gateway's RSS sampled throughout. */
async function exportOnce(gateway: { child: ChildProcess; port: number }, token: string, format: 'csv' | 'xlsx', limit?: number) {
  const pid = gateway.child.pid!;
  const before = rssOf(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), SAMPLE_EVERY_MS);
  let lines = 0;
  const started = performance.now();
  const reply = await post(gateway.port, '/exports', { format, query: { ...QUERY, ...(limit ? { limit } : {}) } }, token, (chunk) => {
    if (format === 'csv') for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) lines++;
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(pid));
  if (reply.status !== 200) throw new Error(`export ${format} answered ${reply.status}`);
  return { before, peak, after: rssOf(pid), bytes: reply.bytes, rows: format === 'csv' ? lines - 1 : undefined, seconds };
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-bench-export-'));
  fs.chmodSync(work, 0o755);
  try {
    const exportDir = async () => process.env.KINEO_BENCH_EXPORT ?? (await generate(path.join(work, 'export'), users)).dir;
    await ingestThroughStack(exportDir, { threads: 2, memoryLimit: process.env.DUCKDB_MEMORY_LIMIT ?? '2GB', keepIn: process.env.KINEO_BENCH_CACHE }, async (run) => {
      const prisma = createPrismaClient(run.env.DATABASE_URL);
      if (!(await prisma.user.findUnique({ where: { email: 'admin@bench.example' } }))) {
        await new UserService(prisma).create({ email: 'admin@bench.example', password: PASSWORD, grant: { tenantSlug: 'bench', role: 'org_admin' }, actor: 'bench' });
      }
      const tenant = await new TenantService(prisma).get('bench');
      const asOf = (await prisma.buildRun.findFirstOrThrow({ where: { tenantId: tenant.id, dataVersion: tenant.dataVersion } })).asOf!.toISOString();
      await prisma.$disconnect();
      // The baseline: the same SQL the export runs (compiled as the gateway compiles an export), streamed by the driver alone.
      const compiled = compileQuery(QUERY as AnalyticsQuery, { kind: 'tenant' }, duckdbDialect, { asOf, noLimit: true });
      const job = {
        rootDir: path.join(run.dataDir, 'warehouse'),
        threads: Number(run.env.DUCKDB_THREADS ?? 2),
        memoryLimit: run.env.DUCKDB_MEMORY_LIMIT ?? '2GB',
        ref: { tenantId: tenant.id, namespace: tenant.namespace },
        version: tenant.dataVersion,
        sql: compiled.sql,
        params: compiled.params,
      };
      const straight = JSON.parse(
        execFileSync(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'bench/export-stream.ts'), JSON.stringify(job)], { cwd: ROOT, env: { ...process.env, ...run.env }, maxBuffer: 1 << 20 }).toString(),
      ) as { before: number; peak: number; rows: number; seconds: number };
      const gateway = await startGateway(run.env);
      try {
        const login = await post(gateway.port, '/graphql', { query: `mutation { login(email: "admin@bench.example", password: "${PASSWORD}") { token } }` });
        const token = (JSON.parse(login.text) as { data: { login: { token: string } } }).data.login.token;
        // A small export first, so what loads once (exceljs, the export path) is not counted against either size.
        await exportOnce(gateway, token, 'csv', 10);
        await exportOnce(gateway, token, 'xlsx', 10);
        console.log('');
        console.log(`export of ${JSON.stringify(QUERY)}, the gateway's RSS sampled every ${SAMPLE_EVERY_MS} ms (MiB)`);
        console.log('format  rows          MB     seconds   RSS before   peak    after   peak - before');
        const growth: Record<string, number[]> = {};
        for (const format of ['csv', 'xlsx'] as const) {
          for (const limit of [CUT, undefined]) {
            const r = await exportOnce(gateway, token, format, limit);
            (growth[format] ??= []).push(r.peak - r.before);
            const rows = r.rows !== undefined ? fmt(r.rows) : limit ? fmt(limit) : 'all';
            console.log(
              `${format.padEnd(6)}  ${rows.padStart(10)}  ${(r.bytes / 1e6).toFixed(1).padStart(8)}  ${r.seconds.toFixed(1).padStart(8)}   ${(r.before / MIB).toFixed(1).padStart(9)}  ${(r.peak / MIB).toFixed(1).padStart(6)}  ${(r.after / MIB).toFixed(1).padStart(6)}  ${((r.peak - r.before) / MIB).toFixed(1).padStart(8)}`,
            );
          }
        }
        console.log(
          `driver    ${fmt(straight.rows).padStart(10)}         -  ${straight.seconds.toFixed(1).padStart(8)}   ${(straight.before / MIB).toFixed(1).padStart(9)}  ${(straight.peak / MIB).toFixed(1).padStart(6)}       -  ${((straight.peak - straight.before) / MIB).toFixed(1).padStart(8)}   (the same SQL streamed by the warehouse driver alone, a process of its own)`,
        );
        for (const [format, [cut, all]] of Object.entries(growth)) {
          console.log(
            `${format}: growth at its peak, every row against ${fmt(CUT)} rows: ${(all / MIB).toFixed(1)} against ${(cut / MIB).toFixed(1)} MiB; ` +
              `the driver alone, every row: ${((straight.peak - straight.before) / MIB).toFixed(1)} MiB (gateway / driver ${(all / (straight.peak - straight.before)).toFixed(2)}x)`,
          );
        }
      } finally {
        gateway.child.kill('SIGTERM');
      }
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
