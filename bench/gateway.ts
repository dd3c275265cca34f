// bench/gateway: dashboards through the gateway against the same compiled SQL straight on DuckDB.
// Generates a tenant (default 56,500 users, about 1M course-progress rows), loads it through the real
// stack, then runs the gateway as its own process: each dashboard with the cache off (median of 5)
// against its tiles' compiled SQL run directly, twice over: as a DuckDB client runs it and through the gateway's
// own driver, which keeps statements prepared (also in parallel, median of 5), the cached p95 (overall and
// per dashboard), the p95 of 30 concurrent users on mixed dashboards on loopback (autocannon, bounded in
// time), and the gateway's memory. Each dashboard with periods is also measured cut by each of them over
// the 12 months to the data's as-of day (what "Last 12 months" sends) and over the 12 months to the 15th of its month
// (part months at both ends); KINEO_BENCH_PERIODS=0 leaves them out.
// Run: npm run bench:gateway [-- <users>]
// KINEO_BENCH_CACHE=<folder> keeps the built tenant there (Postgres, warehouse) and reuses it on the next
// run with the same folder, so a 10M-row tenant is generated and built once.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { compileQuery, DASHBOARDS, dashboardQueries, parseRollupManifest, ROLLUP_MANIFEST_QUERY, type AnalyticsFilter, type CompiledQuery } from '@kineo/analytics';
import { UserService } from '@kineo/auth';
import { createPrismaClient, TenantService } from '@kineo/db';
import { freePort, waitForPort } from '@kineo/testkit';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DuckDbWarehouse, type TenantNamespace } from '@kineo/warehouse';
import { Redis } from 'ioredis';
import { Client as PgClient } from 'pg';
import { attribute, clientGarbageCollector, monotonicMs, observeClientGc, schedstat, tailReport, type ClientSample, type Interval } from './gateway-tail';
import { envAssignments, fmt, gatewayImageEnv, generate, gib, ingestThroughStack, replyFailed, rollupBuildLine, ROOT, tileFailures } from './support';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void } & PromiseLike<{ requests: { total: number }; non2xx: number; errors: number }>;

const users = Number(process.argv[2] ?? 56_500);
const PASSWORD = 'bench-password-not-secret';
// Fewer runs or a shorter load (KINEO_BENCH_RUNS, KINEO_BENCH_LOAD_SECONDS) for a tenant whose dashboards take seconds each.
const RUNS = Number(process.env.KINEO_BENCH_RUNS ?? 5);
// Rounds of the six cached dashboards for one caller (the p95 of 240 requests is their 12th slowest).
const CACHED_ROUNDS = Number(process.env.KINEO_BENCH_ROUNDS ?? 40);
// Untimed rounds of the cached dashboards first: a gateway just started is still compiling its hot
// paths and settling its heap (mark-compacts of 8-64 ms in the first seconds), and with one round
// of warm-up the first ten timed rounds' median was 20-50 % above the last thirty's.
const CACHED_WARMUP_ROUNDS = Number(process.env.KINEO_BENCH_WARMUP_ROUNDS ?? 10);
const CONCURRENT_USERS = 30;
const LOAD_SECONDS = Number(process.env.KINEO_BENCH_LOAD_SECONDS ?? 15);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
const ms = (n: number) => `${n.toFixed(1)} ms`;
const collectClientGarbage = clientGarbageCollector();

/**
 * KINEO_BENCH_PROBE=1: the cached gateways run with bench/gateway-probe.cjs preloaded, and the cached
 * rounds end with where the slowest 5 % of their requests spent their time (bench/gateway-tail.ts).
 */
const PROBING = Boolean(process.env.KINEO_BENCH_PROBE);
const probeFile = (name: string) => path.join(os.tmpdir(), `kineo-bench-probe-${process.pid}-${name}.jsonl`);
const PROBE_ARGS = ['--require', path.join(ROOT, 'bench/gateway-probe.cjs')];

function printTail(label: string, samples: ClientSample[], file: string, clientGcs: Interval[]): void {
  console.log('');
  for (const line of tailReport(label, attribute(samples, file, clientGcs))) console.log(line);
  console.log(`  (the gateway's records: ${file})`);
}

/**
 * A tile's statements as the gateway runs them with the cache off: its rows, then, for a table's page
 * with more rows after it, the count of its whole list.
 */
async function tileStatements(direct: Straight, compiled: CompiledQuery): Promise<void> {
  const rows = await direct(compiled.sql, compiled.params);
  if (compiled.count && compiled.limit !== undefined && rows.length > compiled.limit) await direct(compiled.count.sql, compiled.count.params);
}

/** One statement run straight on DuckDB, its rows as JS values. */
type Straight = (sql: string, params: CompiledQuery['params']) => Promise<unknown[]>;

/** Through the DuckDB driver the gateway uses (kept connections, each text prepared once per connection and reused). */
const throughDriver =
  (direct: DuckDbWarehouse, ref: TenantNamespace): Straight =>
  async (sql, params) =>
    (await direct.queryPublished(ref, sql, params)).rows;

/**
 * As a DuckDB client runs a statement with values (`@duckdb/node-api`'s `runAndReadAll(sql, values)`:
 * parsed, planned, bound and run each time), on the published snapshot opened read-only by DuckDB
 * itself with the gateway's threads and memory limit, connections kept between statements.
 */
async function asDuckDbClient(file: string, env: Record<string, string>): Promise<{ run: Straight; close: () => void }> {
  const instance = await DuckDBInstance.create(file, {
    access_mode: 'READ_ONLY',
    ...(env.DUCKDB_THREADS ? { threads: env.DUCKDB_THREADS } : {}),
    ...(env.DUCKDB_MEMORY_LIMIT ? { memory_limit: env.DUCKDB_MEMORY_LIMIT } : {}),
  });
  const spare: DuckDBConnection[] = [];
  return {
    run: async (sql, params) => {
      const c = spare.pop() ?? (await instance.connect());
      try {
        const reader = await c.runAndReadAll(sql, params.map((p) => (p instanceof Date ? p.toISOString() : p)));
        return reader.getRowObjectsJS();
      } finally {
        spare.push(c);
      }
    },
    close: () => {
      for (const c of spare.splice(0)) c.closeSync();
      instance.closeSync();
    },
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * A request timed to the arrival of its whole response, as a user waits for it; the answer is
 * checked after the clock stopped. The connection is kept alive between requests; a young-generation collection of
 * this process runs first, outside the clock (see clientGarbageCollector).
 */
async function timedPost(url: string, query: string, token?: string, probe?: { id: string; dashboard: string; samples: ClientSample[] }): Promise<number> {
  collectClientGarbage();
  const [, waitBefore] = probe ? schedstat() : [0, 0];
  const start = monotonicMs();
  const reply = await postBytes(url, query, token, probe?.id);
  const end = monotonicMs();
  if (probe) probe.samples.push({ id: probe.id, dashboard: probe.dashboard, start, end, wait: schedstat()[1] - waitBefore });
  // An answer with GraphQL errors or a failed tile has "errors" or '"error":{' in its text, so only
  // those are parsed (and thrown): a 340 KiB answer parsed, or even made a string, on every request
  // filled this process's old generation, and its major collections landed in later requests' timing.
  if (!reply.subarray(0, 8).equals(DATA_PREFIX) || replyFailed(reply)) answerOf(reply.toString('utf8'));
  return end - start;
}

const DATA_PREFIX = Buffer.from('{"data":');

async function startGatewayProcess(env: Record<string, string>, extra: Record<string, string>, root = ROOT, nodeArgs: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'apps/gateway/dist/main.js')], {
    env: { ...process.env, ...gatewayImageEnv(), ...env, LOG_LEVEL: process.env.KINEO_BENCH_LOG_LEVEL ?? 'warn', ...extra, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port), ANALYTICS_RATE_LIMIT_PER_USER: '1000000000', ANALYTICS_RATE_LIMIT_PER_TENANT: '1000000000' },
    // KINEO_BENCH_GATEWAY_STDOUT=inherit: the gateways' standard output in the bench's (V8's --trace-gc lines, with KINEO_BENCH_OTHER_NODE_ARGS).
    stdio: ['ignore', process.env.KINEO_BENCH_GATEWAY_STDOUT === 'inherit' ? 'inherit' : 'ignore', 'inherit'],
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

/**
 * One POST on a kept-alive connection through node:http. (fetch, undici, was the client until the
 * fourth cached round: on a bare server in the same rotation it added 0.2 ms at the median and 1.7 ms
 * at p95 of its own, at load 9; the floor still reports it.)
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function send(url: string, query: string, token?: string, requestId?: string): Promise<string> {
  return (await postBytes(url, query, token, requestId)).toString('utf8');
}

/** The reply's bytes. */
async function postBytes(url: string, query: string, token?: string, requestId?: string): Promise<Buffer> {
  const body = JSON.stringify({ query });
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...(token ? { authorization: `Bearer ${token}` } : {}), ...(requestId ? { 'x-request-id': requestId } : {}) };
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(Buffer.concat(chunks)));
      response.on('error', reject);
    });
    request.on('error', reject).end(body);
  });
}

async function sendThroughFetch(url: string, query: string): Promise<string> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return response.text();
}

function answerOf(text: string): Record<string, unknown> {
  const body = JSON.parse(text) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
  const failed = tileFailures(body.data);
  if (failed.length > 0) throw new Error(`Dashboard tiles failed: ${failed.join('; ').slice(0, 500)}`);
  return body.data!;
}

async function post(url: string, query: string, token?: string): Promise<Record<string, unknown>> {
  return answerOf(await send(url, query, token));
}

/** Filters as a GraphQL literal: the operator is an enum, the rest JSON. */
const filtersLiteral = (filters: AnalyticsFilter[]) =>
  filters.length === 0 ? '' : `, filters: [${filters.map((f) => `{ member: ${JSON.stringify(f.member)}, operator: ${f.operator}, values: ${JSON.stringify(f.values ?? [])} }`).join(', ')}]`;
const dashboardQuery = (id: string, filters: AnalyticsFilter[] = []) =>
  `{ dashboard(id: ${JSON.stringify(id)}${filtersLiteral(filters)}) { dataVersion tiles { id result { rows cached rollup } error { code message } } } }`;

/**
 * A dashboard's period over the 12 months to the data's as-of day, on each of its members: what "Last 12 months" sends.
 * With `midMonth`, the 12 months to the 15th of the as-of's month instead: a period that begins and ends inside a
 * month, as "Last 12 months" does on most days, whose part months a rollup by month cannot hold.
 */
function lastYearTo(asOf: string, members: string[], midMonth = false): AnalyticsFilter[] {
  const to = new Date(`${asOf.slice(0, midMonth ? 8 : 10)}${midMonth ? '15' : ''}T00:00:00Z`);
  const from = new Date(Date.UTC(to.getUTCFullYear() - 1, to.getUTCMonth(), to.getUTCDate() + 1));
  return members.map((member) => ({ member, operator: 'inDateRange', values: [from.toISOString().slice(0, 10), to.toISOString().slice(0, 10)] }));
}

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
      const manifest = direct.queryPublished(ref, ROLLUP_MANIFEST_QUERY).then((r) => parseRollupManifest(r.rows), () => []);

      console.log('');
      console.log(`tenant: ${fmt(users)} users, gold.fact_course_progress ${fmt(Number(facts.n))} rows, data version ${tenant.dataVersion}`);
      console.log(`machine: ${os.cpus().length} cores, DUCKDB_THREADS=${run.env.DUCKDB_THREADS}; every figure is on loopback`);
      console.log(rollupBuildLine(run.stages));
      if (process.env.KINEO_BENCH_COMPARE) {
        try {
          await compareBuilds(path.resolve(process.env.KINEO_BENCH_COMPARE), run.env, login, dashboards.map((d) => d.id), async (id, asOf) => {
            const rollups = await manifest;
            const compiled = dashboardQueries(id, []).map(({ run }) => compileQuery(run, { kind: 'tenant' }, direct.dialect, { asOf, rollups }));
            await Promise.all(compiled.map((c) => tileStatements(throughDriver(direct, ref), c)));
          });
        } finally {
          await direct.close();
        }
        return;
      }

      // 1. Cache off: the gateway's whole path (HTTP, GraphQL, auth, scope, compile, warehouse, JSON) against the SQL alone,
      // with the published rollups (pre-aggregations) and without them (ANALYTICS_ROLLUPS=false: the fact tables).
      const published = await manifest;
      console.log(`rollups published with version ${tenant.dataVersion}: ${published.length} tables, ${fmt(published.reduce((n, r) => n + r.rows, 0))} rows`);
      // The same SQL straight on DuckDB, two ways: as a DuckDB client runs it (the issue's baseline), and through the
      // driver the gateway itself uses, which keeps each statement prepared (the engine's execution and rows alone).
      const version = await direct.publishedVersion(ref);
      const client = await asDuckDbClient(path.join(direct.tenantDir(ref), 'gold', `v${version}.duckdb`), run.env);
      const driver = throughDriver(direct, ref);
      try {
        for (const rollups of [true, false]) {
          const uncached = await startGatewayProcess(run.env, { ANALYTICS_CACHE_ENABLED: 'false', ANALYTICS_ROLLUPS: String(rollups) });
          try {
            const { login: session } = (await post(uncached.url, login)) as { login: { token: string } };
            console.log(`gateway resident memory, started: ${gib(memoryOf(uncached.child.pid!).rss)}`);
            console.log('');
            console.log(`rollups ${rollups ? 'on ' : 'off'}                   gateway, cache off   DuckDB, as a client runs it   ratio   DuckDB, statements kept prepared   ratio   (medians of ${RUNS}, tiles in parallel)`);
            // Each dashboard as it opens, then cut by each of its periods over the last 12 months of data (KINEO_BENCH_PERIODS=0: not).
            const { dashboard: dated } = (await post(uncached.url, `{ dashboard(id: ${JSON.stringify(dashboards[0]!.id)}) { asOf } }`, session.token)) as { dashboard: { asOf: string } };
            const views = dashboards.flatMap((d) => [
              { d, label: d.id, filters: [] as AnalyticsFilter[] },
              ...(process.env.KINEO_BENCH_PERIODS === '0'
                ? []
                : d.periods.flatMap((p) => [
                    { d, label: `  · ${p.title}, 12 months`, filters: lastYearTo(dated.asOf, p.members) },
                    { d, label: `  · ${p.title}, to the 15th`, filters: lastYearTo(dated.asOf, p.members, true) },
                  ])),
            ]);
            for (const { d, label, filters } of views) {
              // Compiled as the gateway compiles it: the org admin's scope, the published version's as-of and (rollups on) its
              // rollups, so both run the same SQL with the same parameters.
              const { dashboard: answered } = (await post(uncached.url, `{ dashboard(id: ${JSON.stringify(d.id)}) { asOf } }`, session.token)) as { dashboard: { asOf: string } };
              const compiled = dashboardQueries(d.id, filters).map(({ run }) =>
                compileQuery(run, { kind: 'tenant' }, direct.dialect, { asOf: answered.asOf, ...(rollups ? { rollups: published } : {}) }),
              );
              const first = (await post(uncached.url, dashboardQuery(d.id, filters), session.token)) as { dashboard: { tiles: { result: { rollup: string | null } }[] } };
              const straight = (way: Straight) => Promise.all(compiled.map((c) => tileStatements(way, c)));
              await straight(client.run);
              await straight(driver);
              const times: number[][] = [[], [], []];
              for (let i = 0; i < RUNS; i++) {
                // Interleaved, the order turned every run, so the three see the same load.
                for (const who of i % 2 === 0 ? [0, 1, 2] : [2, 1, 0]) {
                  times[who].push(who === 0 ? await timedPost(uncached.url, dashboardQuery(d.id, filters), session.token) : await timed(() => straight(who === 1 ? client.run : driver)));
                }
              }
              const [g, c, k] = times.map(median);
              // As the gateway's answers say (the direct SQL was compiled with the same manifest).
              const fromRollups = first.dashboard.tiles.filter((t) => t.result.rollup).length;
              console.log(
                `${label.padEnd(30)}${ms(g).padStart(16)}${ms(c).padStart(30)}${(g / c).toFixed(2).padStart(8)}x${ms(k).padStart(35)}${(g / k).toFixed(2).padStart(8)}x   ${fromRollups}/${compiled.length} tiles from rollups`,
              );
            }
          } finally {
            await stop(uncached.child);
          }
          console.log('');
        }
      } finally {
        client.close();
        await direct.close();
      }

      // 2. Cache on: answers from Redis, one caller and then 30 at once (probed, the 30 users and the memory carry the probe's cost).
      const cachedProbe = probeFile('cached');
      const cached = await startGatewayProcess(run.env, PROBING ? { KINEO_BENCH_PROBE_OUT: cachedProbe } : {}, ROOT, PROBING ? PROBE_ARGS : []);
      const samples: ClientSample[] = [];
      const clientGc = PROBING ? observeClientGc() : undefined;
      try {
        const { login: session } = (await post(cached.url, login)) as { login: { token: string } };
        for (let i = 0; i < Math.max(1, CACHED_WARMUP_ROUNDS); i++) for (const d of dashboards) await post(cached.url, dashboardQuery(d.id), session.token);
        const sequential: number[] = [];
        for (let i = 0; i < CACHED_ROUNDS; i++) {
          for (const d of dashboards) {
            const probe = PROBING ? { id: `bench-1-${i}-${d.id}`, dashboard: d.id, samples } : undefined;
            sequential.push(await timedPost(cached.url, dashboardQuery(d.id), session.token, probe));
          }
        }
        console.log('');
        console.log(`cached dashboard, one caller:  p50 ${ms(percentile(sequential, 50))}, p95 ${ms(percentile(sequential, 95))} (${sequential.length} requests over ${dashboards.length} dashboards)`);

        const perDashboard = dashboards.map((d, i) => {
          const times = sequential.filter((_, n) => n % dashboards.length === i);
          return `${d.id} ${ms(percentile(times, 95))}`;
        });
        console.log(`  p95 per dashboard: ${perDashboard.join(', ')}`);

        // Each connection rotates through the six dashboards, starting one further along than the last, so
        // every dashboard is asked at every moment; a 200 carrying GraphQL errors or a failed tile counts as an error too.
        const latencies: number[] = [];
        let graphqlErrors = 0;
        const requests = dashboards.map((d) => ({
          method: 'POST',
          body: JSON.stringify({ query: dashboardQuery(d.id) }),
          onResponse: (status: number, body: string) => {
            if (status === 200 && replyFailed(body)) graphqlErrors += 1;
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
        clientGc?.stop();
      }
      if (PROBING) printTail('cached dashboard, one caller', samples, cachedProbe, clientGc!.gcs);
    });
  } finally {
    agent.destroy();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * KINEO_BENCH_COMPARE=<another checkout, built>: that build's gateway and this one's on the same stack
 * at once, requests interleaved between them (the order alternating every round), so both see the
 * same machine load: first with the cache off (and the same SQL straight on DuckDB in the same
 * rotation), then the cached dashboards for one caller. Only this comparison runs.
 * KINEO_BENCH_OTHER_NODE_OPTIONS: NODE_OPTIONS for the other build's gateway only (compare V8 flags
 * with this checkout as the other build); KINEO_BENCH_OTHER_NODE_ARGS: flags on its command line
 * (those NODE_OPTIONS refuses, such as --cpu-prof); KINEO_BENCH_OTHER_ENV: settings for its process only,
 * space-separated NAME=value (compare a setting, e.g. DUCKDB_IDLE_SNAPSHOT_MEMORY=off, on one build).
 * KINEO_BENCH_PROBE=1: both cached gateways probed (see PROBING).
 * KINEO_BENCH_LOG_LEVEL: the gateways' LOG_LEVEL (default warn; info writes the access line of every
 * request, as production does; KINEO_BENCH_OTHER_ENV=LOG_LEVEL=... sets the other's alone).
 * KINEO_BENCH_COMPARE_CACHE=on|off: only the cached or only the uncached comparison (default both).
 * KINEO_BENCH_PROBE_PROFILE=<folder>: with the probe, a CPU profile and an allocation profile of each
 * gateway over the timed rounds.
 */
async function compareBuilds(
  otherRoot: string,
  env: Record<string, string>,
  login: string,
  dashboards: string[],
  direct: (id: string, asOf: string) => Promise<void>,
): Promise<void> {
  const names = [`other (${path.basename(otherRoot)})`, 'this build'];
  const flags = (options: string | undefined) => `NODE_OPTIONS=${JSON.stringify(options ?? gatewayImageEnv().NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? '')}`;
  const otherEnv = envAssignments('KINEO_BENCH_OTHER_ENV');
  console.log(`other: ${otherRoot}, ${flags(process.env.KINEO_BENCH_OTHER_NODE_OPTIONS)} ${process.env.KINEO_BENCH_OTHER_NODE_ARGS ?? ''} ${process.env.KINEO_BENCH_OTHER_ENV ?? ''}; this build: ${ROOT}, ${flags(undefined)}`);
  console.log(`comparing ${otherRoot} (other) with ${ROOT} (this build); load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}`);
  const phases = { on: [true], off: [false] }[process.env.KINEO_BENCH_COMPARE_CACHE ?? ''] ?? [false, true];
  for (const cache of phases) {
    const rounds = cache ? CACHED_ROUNDS : RUNS * 2;
    const otherOptions = process.env.KINEO_BENCH_OTHER_NODE_OPTIONS;
    const probing = cache && PROBING;
    const probeFiles = [0, 1].map((who) => probeFile(String(who)));
    const probeEnv = (who: number): Record<string, string> => (probing ? { KINEO_BENCH_PROBE_OUT: probeFiles[who] } : {});
    const probeArgs = probing ? PROBE_ARGS : [];
    const gateways = [
      await startGatewayProcess(
        env,
        { ...otherEnv, ANALYTICS_CACHE_ENABLED: String(cache), ...(otherOptions === undefined ? {} : { NODE_OPTIONS: otherOptions }), ...probeEnv(0) },
        otherRoot,
        [...probeArgs, ...(process.env.KINEO_BENCH_OTHER_NODE_ARGS ?? '').split(' ').filter(Boolean)],
      ),
      await startGatewayProcess(env, { ANALYTICS_CACHE_ENABLED: String(cache), ...probeEnv(1) }, ROOT, probeArgs),
    ];
    const samples: ClientSample[][] = [[], []];
    const clientGc = probing ? observeClientGc() : undefined;
    try {
      const tokens = await Promise.all(gateways.map(async (g) => ((await post(g.url, login)) as { login: { token: string } }).login.token));
      const asOf = ((await post(gateways[1].url, `{ dashboard(id: ${JSON.stringify(dashboards[0])}) { asOf } }`, tokens[1])) as { dashboard: { asOf: string } }).dashboard.asOf;
      // Warm-up: each build answers (and, cache on, stores) every dashboard before any is timed; cached, CACHED_WARMUP_ROUNDS times.
      for (let round = 0; round < (cache ? Math.max(1, CACHED_WARMUP_ROUNDS) : 1); round++) {
        for (const id of dashboards) for (const [i, g] of gateways.entries()) await post(g.url, dashboardQuery(id), tokens[i]);
      }
      const times = new Map<string, number[][]>(dashboards.map((id) => [id, [[], [], []]]));
      const floor = cache ? await Floor.start(env, gateways[1].url, tokens[1], dashboards) : undefined;
      try {
        for (let round = 0; round < rounds; round++) {
          for (const id of dashboards) {
            const order = round % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
            for (const who of order) {
              if (who === 2 && cache) await floor!.measure(id);
              else {
                const probe = probing ? { id: `bench-${who}-${round}-${id}`, dashboard: id, samples: samples[who] } : undefined;
                const elapsed = who === 2 ? await timed(() => direct(id, asOf)) : await timedPost(gateways[who].url, dashboardQuery(id), tokens[who], probe);
                times.get(id)![who].push(elapsed);
              }
            }
          }
        }
      } finally {
        await floor?.stop();
      }
      const p = (values: number[]) => `${ms(percentile(values, 50))} / ${ms(percentile(values, 95))}`.padStart(22);
      console.log('');
      console.log(`cache ${cache ? 'on, one caller' : 'off'}, ${rounds} interleaved rounds, p50 / p95   ${names.map((n) => n.padStart(22)).join('')}${cache ? '    floor (see below)' : '   same SQL on DuckDB   ratio of medians (other, this)'}`);
      for (const id of dashboards) {
        const [a, b, d] = times.get(id)!;
        const ratios = cache ? `${p(floor!.overlapped(id))}   (${fmt(floor!.bytes(id) / 1024)} KiB)` : `${p(d)}   ${(median(a) / median(d)).toFixed(2)}x, ${(median(b) / median(d)).toFixed(2)}x`;
        console.log(`${id.padEnd(44)}${p(a)}${p(b)}${ratios}`);
      }
      if (cache) {
        const all = [0, 1].map((who) => dashboards.flatMap((id) => times.get(id)![who]));
        console.log(`${'all dashboards'.padEnd(44)}${p(all[0])}${p(all[1])}   (${all[0].length} requests each)`);
        console.log('');
        console.log('the floor, in the same rotation (bare clients and a bare HTTP server, nothing of the gateway), p50 / p95');
        for (const [what, values] of floor!.report()) console.log(`${what.padEnd(44)}${p(values)}`);
      }
    } finally {
      await Promise.all(gateways.map((g) => stop(g.child)));
      clientGc?.stop();
    }
    if (probing) for (const who of [0, 1]) printTail(names[who], samples[who], probeFiles[who], clientGc!.gcs);
  }
  console.log(`load average at the end ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}`);
}

/**
 * What a cached dashboard costs with nothing of the gateway in it, on this machine and load: the
 * same reply's bytes from a bare Node HTTP server to the same client, one Postgres round trip (a
 * prepared statement returning one value) and the tiles' rows read from Redis (one pipelined GET per
 * tile, the same texts). A cached answer needs the HTTP exchange and, at best, the two round trips
 * at once.
 */
class Floor {
  private readonly samples = new Map<string, number[]>([['HTTP exchange of the same reply', []], ['Postgres round trip', []], ['Redis tile reads', []]]);
  /** The same exchange through fetch (undici), the client of the rounds before the fourth. */
  private readonly fetchClient: number[] = [];
  /** Per dashboard: the HTTP exchange plus the slower of the two round trips, sample by sample. */
  private readonly perDashboard = new Map<string, number[]>();

  private constructor(
    private readonly server: http.Server,
    private readonly url: string,
    private readonly replies: Map<string, string>,
    private readonly pg: PgClient,
    private readonly redis: Redis,
    private readonly tileKeys: Map<string, string[]>,
  ) {}

  static async start(env: Record<string, string>, gatewayUrl: string, token: string, dashboards: string[]): Promise<Floor> {
    const replies = new Map<string, string>();
    for (const id of dashboards) replies.set(id, await send(gatewayUrl, dashboardQuery(id), token));
    const server = http.createServer((request, response) => {
      const id = decodeURIComponent((request.url ?? '/').slice(1));
      request.resume().on('end', () => response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(replies.get(id)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const pg = new PgClient({ connectionString: env.DATABASE_URL });
    await pg.connect();
    const redis = new Redis(env.REDIS_URL, { enableAutoPipelining: true });
    const tileKeys = new Map<string, string[]>();
    for (const id of dashboards) {
      const tiles = (answerOf(replies.get(id)!) as { dashboard: { tiles: { result: { rows: unknown } }[] } }).dashboard.tiles;
      const keys = tiles.map((_, i) => `bench:floor:${id}:${i}`);
      await Promise.all(tiles.map((t, i) => redis.set(keys[i], JSON.stringify(t.result.rows), 'EX', 3600)));
      tileKeys.set(id, keys);
    }
    return new Floor(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, replies, pg, redis, tileKeys);
  }

  async measure(id: string): Promise<void> {
    const [exchange, roundTrip, reads] = this.samples.values();
    collectClientGarbage();
    const e = await timed(() => postBytes(`${this.url}/${encodeURIComponent(id)}`, dashboardQuery(id)));
    collectClientGarbage();
    this.fetchClient.push(await timed(() => sendThroughFetch(`${this.url}/${encodeURIComponent(id)}`, dashboardQuery(id))));
    const r = await timed(() => this.pg.query({ name: 'bench-floor', text: 'select $1::int as one', values: [1] }));
    const g = await timed(() => Promise.all(this.tileKeys.get(id)!.map((key) => this.redis.get(key))));
    exchange.push(e);
    roundTrip.push(r);
    reads.push(g);
    if (!this.perDashboard.has(id)) this.perDashboard.set(id, []);
    this.perDashboard.get(id)!.push(e + Math.max(r, g));
  }

  overlapped(id: string): number[] {
    return this.perDashboard.get(id) ?? [];
  }

  bytes(id: string): number {
    return Buffer.byteLength(this.replies.get(id) ?? '');
  }

  report(): [string, number[]][] {
    const [exchange, roundTrip, reads] = [...this.samples.values()];
    const serial = exchange.map((e, i) => e + roundTrip[i] + reads[i]);
    const overlapped = exchange.map((e, i) => e + Math.max(roundTrip[i], reads[i]));
    return [
      ...this.samples.entries(),
      ['the same exchange through fetch (undici)', this.fetchClient],
      ['the three one after the other', serial],
      ['HTTP, then Postgres and Redis at once', overlapped],
    ];
  }

  async stop(): Promise<void> {
    await this.redis.del(...[...this.tileKeys.values()].flat());
    this.redis.disconnect();
    await this.pg.end();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
