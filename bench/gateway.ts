// bench/gateway: dashboards through the gateway against the same compiled SQL straight on DuckDB.
// Generates a tenant (default 56,500 users, about 1M course-progress rows), loads it through the real
// stack, then runs the gateway as its own process: each dashboard with the cache off (median of 5)
// against its tiles' compiled SQL run directly (also in parallel, median of 5), the cached p95 (overall and
// per dashboard), the p95 of 30 concurrent users on mixed dashboards on loopback (autocannon, bounded in
// time), and the gateway's memory.
// Run: npm run bench:gateway [-- <users>]
// KINEO_BENCH_CACHE=<folder> keeps the built tenant there (Postgres, warehouse) and reuses it on the next
// run with the same folder, so a 10M-row tenant is generated and built once.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileQuery, DASHBOARDS, dashboardQueries, parseRollupManifest, ROLLUP_MANIFEST_QUERY } from '@kineo/analytics';
import { UserService } from '@kineo/auth';
import { createPrismaClient, TenantService } from '@kineo/db';
import { freePort, waitForPort } from '@kineo/testkit';
import { DuckDbWarehouse } from '@kineo/warehouse';
import { fmt, gatewayImageEnv, generate, gib, ingestThroughStack, rollupBuildLine, ROOT } from './support';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void } & PromiseLike<{ requests: { total: number }; non2xx: number; errors: number }>;

const users = Number(process.argv[2] ?? 56_500);
const PASSWORD = 'bench-password-not-secret';
// Fewer runs or a shorter load (KINEO_BENCH_RUNS, KINEO_BENCH_LOAD_SECONDS) for a tenant whose dashboards take seconds each.
const RUNS = Number(process.env.KINEO_BENCH_RUNS ?? 5);
const CONCURRENT_USERS = 30;
const LOAD_SECONDS = Number(process.env.KINEO_BENCH_LOAD_SECONDS ?? 15);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function startGatewayProcess(env: Record<string, string>, extra: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'apps/gateway/dist/main.js')], {
    env: { ...process.env, ...gatewayImageEnv(), ...env, ...extra, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port), LOG_LEVEL: 'warn', ANALYTICS_RATE_LIMIT_PER_USER: '1000000000', ANALYTICS_RATE_LIMIT_PER_TENANT: '1000000000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(port, '127.0.0.1', 60_000);
  return { child, url: `http://127.0.0.1:${port}/graphql` };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

async function post(url: string, query: string, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
  return body.data!;
}

const dashboardQuery = (id: string) => `{ dashboard(id: ${JSON.stringify(id)}) { dataVersion tiles { id result { rows cached rollup } } } }`;

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-bench-gateway-'));
  fs.chmodSync(work, 0o755);
  try {
    const exportDir = async () => process.env.KINEO_BENCH_EXPORT ?? (await generate(path.join(work, 'export'), users)).dir;
    const keepIn = process.env.KINEO_BENCH_CACHE;
    await ingestThroughStack(exportDir, { threads: Number(process.env.DUCKDB_THREADS ?? 2), memoryLimit: process.env.DUCKDB_MEMORY_LIMIT ?? '2GB', keepIn }, async (run) => {
      const [facts] = run.sql('select count(*) as n from gold.fact_course_progress');
      const prisma = createPrismaClient(run.env.DATABASE_URL);
      const tenant = await new TenantService(prisma).get('bench');
      if (!(await prisma.user.findUnique({ where: { email: 'admin@bench.example' } }))) {
        await new UserService(prisma).create({ email: 'admin@bench.example', password: PASSWORD, grant: { tenantSlug: 'bench', role: 'org_admin' }, actor: 'bench' });
      }
      await prisma.$disconnect();
      const login = `mutation { login(email: "admin@bench.example", password: "${PASSWORD}") { token } }`;
      const direct = new DuckDbWarehouse({ rootDir: path.join(run.dataDir, 'warehouse'), threads: Number(run.env.DUCKDB_THREADS), memoryLimit: run.env.DUCKDB_MEMORY_LIMIT });
      const ref = { tenantId: tenant.id, namespace: tenant.namespace };
      const dashboards = DASHBOARDS.filter((d) => d.roles.includes('org_admin'));

      console.log('');
      console.log(`tenant: ${fmt(users)} users, gold.fact_course_progress ${fmt(Number(facts.n))} rows, data version ${tenant.dataVersion}`);
      console.log(`machine: ${os.cpus().length} cores, DUCKDB_THREADS=${run.env.DUCKDB_THREADS}; every figure is on loopback`);
      console.log(rollupBuildLine(run.stages));

      // 1. Cache off: the gateway's whole path (HTTP, GraphQL, auth, scope, compile, warehouse, JSON) against the SQL alone,
      // with the published rollups (pre-aggregations) and without them (ANALYTICS_ROLLUPS=false: the fact tables).
      const published = await direct.queryPublished(ref, ROLLUP_MANIFEST_QUERY).then((r) => parseRollupManifest(r.rows), () => []);
      console.log(`rollups published with version ${tenant.dataVersion}: ${published.length} tables, ${fmt(published.reduce((n, r) => n + r.rows, 0))} rows`);
      try {
        for (const rollups of [true, false]) {
          const uncached = await startGatewayProcess(run.env, { ANALYTICS_CACHE_ENABLED: 'false', ANALYTICS_ROLLUPS: String(rollups) });
          try {
            const { login: session } = (await post(uncached.url, login)) as { login: { token: string } };
            console.log(`gateway resident memory, started: ${gib(memoryOf(uncached.child.pid!).rss)}`);
            console.log('');
            console.log(`rollups ${rollups ? 'on ' : 'off'}                   gateway, cache off   same SQL on DuckDB   ratio   (medians of ${RUNS}, tiles in parallel)`);
            for (const d of dashboards) {
              // Compiled as the gateway compiles it: the org admin's scope, the published version's as-of and (rollups on) its
              // rollups, so both run the same SQL with the same parameters.
              const { dashboard: answered } = (await post(uncached.url, `{ dashboard(id: ${JSON.stringify(d.id)}) { asOf } }`, session.token)) as { dashboard: { asOf: string } };
              const compiled = dashboardQueries(d.id, []).map(({ query }) =>
                compileQuery(query, { kind: 'tenant' }, direct.dialect, { asOf: answered.asOf, ...(rollups ? { rollups: published } : {}) }),
              );
              const first = (await post(uncached.url, dashboardQuery(d.id), session.token)) as { dashboard: { tiles: { result: { rollup: string | null } }[] } };
              await Promise.all(compiled.map((c) => direct.queryPublished(ref, c.sql, c.params)));
              const viaGateway: number[] = [];
              const straight: number[] = [];
              for (let i = 0; i < RUNS; i++) {
                viaGateway.push(await timed(() => post(uncached.url, dashboardQuery(d.id), session.token)));
                straight.push(await timed(() => Promise.all(compiled.map((c) => direct.queryPublished(ref, c.sql, c.params)))));
              }
              const g = median(viaGateway);
              const s = median(straight);
              // As the gateway's answers say (the direct SQL was compiled with the same manifest).
              const fromRollups = first.dashboard.tiles.filter((t) => t.result.rollup).length;
              console.log(`${d.id.padEnd(30)}${ms(g).padStart(16)}${ms(s).padStart(21)}${(g / s).toFixed(2).padStart(8)}x   ${fromRollups}/${compiled.length} tiles from rollups`);
            }
          } finally {
            await stop(uncached.child);
          }
          console.log('');
        }
      } finally {
        await direct.close();
      }

      // 2. Cache on: answers from Redis, one caller and then 30 at once.
      const cached = await startGatewayProcess(run.env, {});
      try {
        const { login: session } = (await post(cached.url, login)) as { login: { token: string } };
        for (const d of dashboards) await post(cached.url, dashboardQuery(d.id), session.token);
        const sequential: number[] = [];
        for (let i = 0; i < 20; i++) for (const d of dashboards) sequential.push(await timed(() => post(cached.url, dashboardQuery(d.id), session.token)));
        console.log('');
        console.log(`cached dashboard, one caller:  p50 ${ms(percentile(sequential, 50))}, p95 ${ms(percentile(sequential, 95))} (${sequential.length} requests over ${dashboards.length} dashboards)`);

        const perDashboard = dashboards.map((d, i) => {
          const times = sequential.filter((_, n) => n % dashboards.length === i);
          return `${d.id} ${ms(percentile(times, 95))}`;
        });
        console.log(`  p95 per dashboard: ${perDashboard.join(', ')}`);

        // Each connection rotates through the six dashboards, starting one further along than the last, so
        // every dashboard is asked at every moment; a 200 carrying GraphQL errors counts as an error too.
        const latencies: number[] = [];
        let graphqlErrors = 0;
        const requests = dashboards.map((d) => ({
          method: 'POST',
          body: JSON.stringify({ query: dashboardQuery(d.id) }),
          onResponse: (status: number, body: string) => {
            if (status === 200 && body.includes('"errors"')) graphqlErrors += 1;
          },
        }));
        let connection = 0;
        const load = autocannon({
          url: cached.url,
          method: 'POST',
          connections: CONCURRENT_USERS,
          duration: LOAD_SECONDS,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
          requests,
          setupClient: (client: { setRequests(requests: unknown[]): void }) => {
            const start = connection++ % requests.length;
            client.setRequests([...requests.slice(start), ...requests.slice(0, start)]);
          },
        });
        load.on('response', (_client, _status, _bytes, responseMs) => latencies.push(responseMs));
        const result = await load;
        const memory = memoryOf(cached.child.pid!);
        console.log(
          `${CONCURRENT_USERS} concurrent users, ${LOAD_SECONDS} s, cached dashboards mixed (each user rotating through the ${dashboards.length}): ` +
            `p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}, ` +
            `${fmt(result.requests.total)} requests (${fmt(result.requests.total / LOAD_SECONDS)}/s), ${result.non2xx} non-2xx, ${result.errors} errors, ${graphqlErrors} GraphQL errors`,
        );
        console.log(`gateway resident memory after the load: ${gib(memory.rss)} (peak ${gib(memory.peak)})`);
        console.log('');
      } finally {
        await stop(cached.child);
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
