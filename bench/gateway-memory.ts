// bench/gateway-memory: the gateway's resident memory with 500 tenants provisioned and 20 of them
// active. One tenant ("bench", default 2,000 users) is loaded through the real stack; 499 more are
// created and provisioned, and 19 of those are given a copy of bench's published snapshot, so 20
// tenants have data to answer from. The gateway runs as its own process with the cache off (every
// request opens and reads the tenant's snapshot, the worst case for memory) and every org-admin
// dashboard of the 20 tenants is asked in turn, twice; its VmRSS is read idle, after each round,
// and at its peak (VmHWM). Run once per reader setting to compare (DUCKDB_MAX_OPEN_SNAPSHOTS, DUCKDB_IDLE_SNAPSHOT_MEMORY,
// DUCKDB_READER_MEMORY_LIMIT). The gateway gets its image's NODE_OPTIONS, DUCKDB_JE_MALLOC_CONF and
// GLIBC_TUNABLES (infra/docker/gateway.Dockerfile) unless this shell sets them. Prints idle, peak and end RSS
// against the 200 MiB target. KINEO_BENCH_GATEWAY_ENV (space-separated NAME=value) adds settings to the
// gateway's process only, e.g. an allocator to try (LD_PRELOAD, MALLOC_CONF, GLIBC_TUNABLES).
// Run: npm run bench:gateway-memory [-- <users>]; KINEO_BENCH_CACHE=<folder> keeps the stack for the next run.
// KINEO_BENCH_ENGINE=databricks runs the same scenario on production's engine: the worker and the gateway on
// the Databricks driver (settings only, as a deployment), against the local Databricks server in a process of
// its own (bench/databricks-server.main.ts), so the gateway's RSS is the gateway's alone. The server keeps its
// catalogs in memory, so nothing is kept between runs: bench is loaded, the 499 are created and provisioned
// (a catalog with its three schemas and volume each) and the 19 get copies of bench's gold tables, published
// as their version 1, on every run. At the end the gateway's memory is broken down (smaps_rollup, the
// mappings of node and libduckdb, V8's heap; bench/memory-probe.cjs is preloaded into it for that).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DASHBOARDS } from '@kineo/analytics';
import { SessionStore, SessionTokens, UserService, loadJwtSecret } from '@kineo/auth';
import { createSecretStore, FileSecretStore, loadSettings } from '@kineo/config';
import { createPrismaClient, TenantService } from '@kineo/db';
import { freePort, waitForPort } from '@kineo/testkit';
import { DatabricksWarehouse, DuckDbWarehouse, type TenantNamespace, type Warehouse } from '@kineo/warehouse';
import { memoryBreakdown, printBreakdown } from './memory-breakdown';
import { startDatabricksServerProcess, type DatabricksServerProcess } from './databricks-server.process';
import { envAssignments, fmt, gatewayImageEnv, generate, ingestThroughStack, ROOT, tileFailures } from './support';

const users = Number(process.argv[2] ?? 2_000);
const TENANTS = 500;
const ACTIVE = 20;
/** The scenario asks each dashboard twice; more (KINEO_BENCH_MEMORY_ROUNDS) shows whether memory levels off. */
const ROUNDS = Number(process.env.KINEO_BENCH_MEMORY_ROUNDS ?? 2);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`KINEO_BENCH_MEMORY_ROUNDS: "${process.env.KINEO_BENCH_MEMORY_ROUNDS}" is not a whole number of at least 1`);
/** The issue's bar for the gateway's resident memory with 500 tenants provisioned and 20 active. */
const TARGET_MIB = 200;
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
const slugOf = (i: number) => `mem-${String(i).padStart(3, '0')}`;
const ENGINES = ['duckdb', 'databricks'] as const;
type Engine = (typeof ENGINES)[number];
const engine = (process.env.KINEO_BENCH_ENGINE ?? 'duckdb') as Engine;
if (!ENGINES.includes(engine)) throw new Error(`KINEO_BENCH_ENGINE: "${engine}" is not one of ${ENGINES.join(', ')}`);
if (engine === 'databricks' && process.env.KINEO_BENCH_CACHE) {
  throw new Error('KINEO_BENCH_CACHE with KINEO_BENCH_ENGINE=databricks: the local Databricks server keeps its catalogs in memory, so a kept stack would name catalogs that are gone; unset one of them');
}

/**
 * How one engine gives the 19 other active tenants bench's published gold under their own
 * namespace, as their published version 1.
 */
interface EngineSetup {
  warehouse: Warehouse;
  /** Bench's published gold, copied to `to` and published there as version 1 (again on every run of a kept stack). */
  copyGold(from: TenantNamespace & { dataVersion: number }, to: TenantNamespace): Promise<void>;
  close(): Promise<void>;
}

function duckdbSetup(dataDir: string): EngineSetup {
  const warehouse = new DuckDbWarehouse({ rootDir: path.join(dataDir, 'warehouse'), threads: 1 });
  return {
    warehouse,
    copyGold: async (from, to) => {
      // The snapshot file as it is, under this tenant's own namespace: copied on every run, so a kept
      // stack whose bench tenant was rebuilt (a release that changed gold) gives the other 19 the same
      // gold again instead of leaving them on an older release's.
      const snapshot = path.join(warehouse.tenantDir(from), 'gold', `v${from.dataVersion}.duckdb`);
      const dir = warehouse.tenantDir(to);
      fs.copyFileSync(snapshot, path.join(dir, 'gold', 'v1.duckdb'));
      fs.writeFileSync(path.join(dir, 'published.json'), JSON.stringify({ version: 1, publishedAt: new Date().toISOString() }));
    },
    close: () => warehouse.close(),
  };
}

async function databricksSetup(server: DatabricksServerProcess, dataDir: string): Promise<EngineSetup> {
  const connection = { host: server.host, port: server.port, path: server.path, auth: { kind: 'token' as const, token: server.token }, customCaCert: server.caCert };
  const warehouse = new DatabricksWarehouse({ ...connection, landingRoot: path.join(dataDir, 'landing') });
  // The driver confines every statement to one tenant's catalog; a copy across two needs a client of its own.
  const { DBSQLClient } = await import('@databricks/sql');
  const client = await new DBSQLClient({ logger: { log: () => undefined } }).connect({ ...connection, token: server.token });
  const session = await client.openSession();
  const run = async (sql: string) => {
    const operation = await session.executeStatement(sql);
    const rows = await operation.fetchAll();
    await operation.close();
    return rows as Record<string, unknown>[];
  };
  return {
    warehouse,
    copyGold: async (from, to) => {
      // Bench's working gold is what its one build published; catalogs as the default isolation names them.
      const [source, target] = [`kineo_${from.namespace}.gold`, `kineo_${to.namespace}.gold`];
      const tables = (await run(`SHOW TABLES IN ${source}`)).map((r) => String(r.tableName)).filter((t) => !t.startsWith('_kineo'));
      for (const table of tables) await run(`CREATE OR REPLACE TABLE ${target}.${table} AS SELECT * FROM ${source}.${table}`);
      // Pins each copied table's Delta version as version 1, as a build's publish does.
      await warehouse.publish(to, 1);
    },
    close: async () => {
      await session.close();
      await client.close();
      await warehouse.close();
    },
  };
}

function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/**
 * The gateway's own processes: its warehouse reader when WAREHOUSE_READER=child-process (none before its
 * first query). Their memory is reported beside the gateway's, and with it.
 */
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function readersOf(pid: number): { rss: number; peak: number; count: number } {
  let rss = 0;
  let peak = 0;
  const pids = childrenOf(pid);
  for (const child of pids) {
    try {
      const m = memoryOf(child);
      rss += m.rss;
      peak += m.peak;
    } catch {
      // gone meanwhile
    }
  }
  return { rss, peak, count: pids.length };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-bench-memory-'));
  fs.chmodSync(work, 0o755);
  try {
    const exportDir = async () => process.env.KINEO_BENCH_EXPORT ?? (await generate(path.join(work, 'export'), users)).dir;
    const server = engine === 'databricks' ? await startDatabricksServerProcess() : undefined;
    // The settings a deployment on Databricks uses, its token from the secret store, as there.
    const engineEnv = server
      ? async ({ dir, dataDir }: { dir: string; dataDir: string }) => {
          const caFile = path.join(dir, 'databricks-ca.pem');
          fs.writeFileSync(caFile, server.caCert);
          await new FileSecretStore(path.join(dataDir, 'secrets')).set('databricks-token', server.token);
          return { WAREHOUSE_ENGINE: 'databricks', DATABRICKS_HOST: server.host, DATABRICKS_PORT: String(server.port), DATABRICKS_HTTP_PATH: server.path, DATABRICKS_CA_CERT_FILE: caFile, DATABRICKS_AUTH: 'token' };
        }
      : undefined;
    try {
      await ingestThroughStack(exportDir, { threads: 2, memoryLimit: process.env.DUCKDB_MEMORY_LIMIT ?? '2GB', keepIn: process.env.KINEO_BENCH_CACHE, engineEnv }, async (run) => {
        const settings = loadSettings({ ...process.env, ...run.env });
        const prisma = createPrismaClient(run.env.DATABASE_URL);
        const tenants = new TenantService(prisma);
        const setup = server ? await databricksSetup(server, run.dataDir) : duckdbSetup(run.dataDir);
        const { warehouse } = setup;
        const tokens = new SessionTokens(() => loadJwtSecret(createSecretStore(settings)));
        const sessions = new SessionStore(prisma);
        const active: string[] = [];
        const sessionTokens: string[] = [];
        let benchUsers = 0;
        try {
          const bench = await tenants.get('bench');
          benchUsers = Number((await warehouse.queryPublished({ tenantId: bench.id, namespace: bench.namespace }, 'select count(*) as n from gold.dim_user where user_key <> -1')).rows[0].n);
          const from = { tenantId: bench.id, namespace: bench.namespace, dataVersion: bench.dataVersion };
          const provisioning = process.hrtime.bigint();
          let provisioned = 0;
          // Idempotent, so a kept stack is set up once.
          for (let i = 1; i < TENANTS; i++) {
            const slug = slugOf(i);
            const existing = await prisma.tenant.findUnique({ where: { slug } });
            const tenant = existing ?? (await tenants.create({ slug, name: slug, planCode: 'enterprise', actor: 'bench' }));
            if (!existing) {
              await warehouse.provision({ tenantId: tenant.id, namespace: tenant.namespace });
              await tenants.markActive(tenant.id, 'bench');
              provisioned++;
            }
            if (i >= ACTIVE) continue;
            await setup.copyGold(from, { tenantId: tenant.id, namespace: tenant.namespace });
            if (!existing) await prisma.tenant.update({ where: { id: tenant.id }, data: { dataVersion: 1 } });
            active.push(slug);
          }
          active.push('bench');
          console.log(`${provisioned} tenants created and provisioned, ${ACTIVE - 1} given bench's gold, in ${(Number(process.hrtime.bigint() - provisioning) / 1e9).toFixed(0)} s (${engine})`);
          for (const slug of active) {
            const email = `memory-admin@${slug}.example`;
            const user =
              (await prisma.user.findUnique({ where: { email } })) ??
              (await new UserService(prisma).create({ email, password: 'bench-password-not-secret', grant: { tenantSlug: slug, role: 'org_admin' }, actor: 'bench' }), await prisma.user.findUniqueOrThrow({ where: { email } }));
            const tenant = await tenants.get(slug);
            const { sessionId } = await sessions.start(user.id, tenant.id, 'password');
            sessionTokens.push((await tokens.issue({ userId: user.id, tenantId: tenant.id, role: 'org_admin', sessionId })).token);
          }
        } finally {
          await setup.close();
          await prisma.$disconnect();
        }

        const port = await freePort();
        const gatewayEnv = envAssignments('KINEO_BENCH_GATEWAY_ENV');
        const probeFile = path.join(work, 'memory-probe.json');
        const child = spawn(process.execPath, ['--require', path.join(ROOT, 'bench/memory-probe.cjs'), path.join(ROOT, 'apps/gateway/dist/main.js')], {
          env: {
            ...process.env,
            ...gatewayImageEnv(),
            ...run.env,
            GATEWAY_HOST: '127.0.0.1',
            GATEWAY_PORT: String(port),
            LOG_LEVEL: 'warn',
            ANALYTICS_CACHE_ENABLED: 'false',
            ANALYTICS_RATE_LIMIT_PER_USER: '1000000000',
            ANALYTICS_RATE_LIMIT_PER_TENANT: '1000000000',
            KINEO_BENCH_MEMORY_PROBE_OUT: probeFile,
            ...gatewayEnv,
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        try {
          await waitForPort(port, '127.0.0.1', 60_000);
          const url = `http://127.0.0.1:${port}/graphql`;
          const idle = memoryOf(child.pid!);
          const idleBreakdown = await memoryBreakdown(child.pid!, probeFile);
          console.log('');
          console.log(`engine: ${engine}${server ? ` (the local Databricks server, pid ${server.pid}, not the gateway's)` : ''}`);
          console.log(`tenants: ${TENANTS} provisioned, ${active.length} active (each with bench's published gold, ${fmt(benchUsers)} users); cache off`);
          const image = gatewayImageEnv();
          console.log(`gateway environment from its image: NODE_OPTIONS=${image.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? '(none)'}, DUCKDB_JE_MALLOC_CONF=${image.DUCKDB_JE_MALLOC_CONF ?? process.env.DUCKDB_JE_MALLOC_CONF ?? "(DuckDB's default)"}, GLIBC_TUNABLES=${image.GLIBC_TUNABLES ?? process.env.GLIBC_TUNABLES ?? "(glibc's default)"}`);
          console.log(`node ${process.version}, load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}${Object.keys(gatewayEnv).length ? `; KINEO_BENCH_GATEWAY_ENV: ${process.env.KINEO_BENCH_GATEWAY_ENV}` : ''}`);
          console.log(`warehouse reader: WAREHOUSE_READER=${settings.WAREHOUSE_READER}`);
          if (engine === 'duckdb') console.log(`reader settings: DUCKDB_MAX_OPEN_SNAPSHOTS=${settings.DUCKDB_MAX_OPEN_SNAPSHOTS}, DUCKDB_IDLE_SNAPSHOT_MEMORY=${settings.DUCKDB_IDLE_SNAPSHOT_MEMORY}, DUCKDB_READER_MEMORY_LIMIT=${settings.DUCKDB_READER_MEMORY_LIMIT ?? `unset (${settings.DUCKDB_MEMORY_LIMIT})`}, DUCKDB_THREADS=${settings.DUCKDB_THREADS}`);
          console.log(`gateway resident memory, started:           ${mib(idle.rss)}`);
          const dashboards = DASHBOARDS.filter((d) => d.roles.includes('org_admin'));
          for (let round = 1; round <= ROUNDS; round++) {
            for (const token of sessionTokens) {
              for (const d of dashboards) {
                const response = await fetch(url, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
                  body: JSON.stringify({ query: `{ dashboard(id: ${JSON.stringify(d.id)}) { tiles { id result { rows } error { code message } } } }` }),
                });
                const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
                if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
                const failed = tileFailures(body.data);
                if (failed.length > 0) throw new Error(`Dashboard tiles failed: ${failed.join('; ').slice(0, 500)}`);
              }
            }
            const readers = readersOf(child.pid!);
            const apart = readers.count > 0 ? `; its reader process ${mib(readers.rss)}, together ${mib(memoryOf(child.pid!).rss + readers.rss)}` : '';
            console.log(`gateway resident memory, after round ${round} (${active.length} tenants x ${dashboards.length} dashboards): ${mib(memoryOf(child.pid!).rss)}${apart}`);
          }
          const end = memoryOf(child.pid!);
          const readers = readersOf(child.pid!);
          console.log(`gateway peak resident memory:               ${mib(end.peak)}; load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}`);
          if (readers.count > 0) {
            // Peaks of two processes need not coincide, so their sum bounds the pair's peak from above.
            console.log(`its warehouse reader process (WAREHOUSE_READER=child-process): ${mib(readers.rss)} at the end, peak ${mib(readers.peak)}; gateway and reader together ${mib(end.rss + readers.rss)} at the end, at most ${mib(end.peak + readers.peak)} at the peak`);
          }
          console.log('');
          console.log(`against the ${TARGET_MIB} MiB target:`);
          for (const [what, bytes] of [['idle (started)', idle.rss], ['peak', end.peak], [`end (after ${ROUNDS} rounds)`, end.rss]] as const) {
            const within = bytes <= TARGET_MIB * 1024 ** 2;
            console.log(`  ${what.padEnd(26)}${mib(bytes).padStart(11)}  ${within ? 'within' : `OVER by ${mib(bytes - TARGET_MIB * 1024 ** 2)}`}`);
          }
          console.log('');
          printBreakdown('where the idle gateway\'s memory is', idleBreakdown);
          printBreakdown(`where it is after the ${ROUNDS} rounds`, await memoryBreakdown(child.pid!, probeFile));
        printBreakdown('the same after a full garbage collection (live, not merely uncollected)', await memoryBreakdown(child.pid!, probeFile, true));
          console.log('');
        } finally {
          await stop(child);
        }
      });
    } finally {
      await server?.stop();
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
