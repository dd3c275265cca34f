// What bench/ingest and bench/build share: generate an export, run `kineo ingest` against the real
// stack (embedded Postgres, Redis, the worker process) the way a person runs it, and read back the
// stage times the worker recorded and the worker's peak memory.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseRollupManifest, ROLLUP_MANIFEST_QUERY, staleRollups } from '@kineo/analytics';
import { generateExport } from '@kineo/generator';
import { startTestStack } from '@kineo/testkit';
import type { PrismaClient, Tenant, TenantService } from '@kineo/db';
import { duckdbDialect, type DuckDbWarehouse } from '@kineo/warehouse';

export const ROOT = path.join(__dirname, '..');
const KINEO = path.join(ROOT, 'apps/cli/bin/kineo.js');

/** The gateway image's memory settings (V8's young generation, DuckDB's allocator, glibc's malloc), so a bench runs the gateway as deployed. */
const IMAGE_MEMORY_VARIABLES = ['NODE_OPTIONS', 'DUCKDB_JE_MALLOC_CONF', 'GLIBC_TUNABLES'];

/**
 * Those settings as the gateway's Dockerfile sets them (`ENV NAME=value ...` in its last stage),
 * unless this shell sets them: one place says how the gateway runs, and a bench can still try others.
 */
export function gatewayImageEnv(): Record<string, string> {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'infra/docker/gateway.Dockerfile'), 'utf8');
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, assignments] of lastStage.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const [, name, value] of assignments.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      if (IMAGE_MEMORY_VARIABLES.includes(name) && process.env[name] === undefined) env[name] = value.replace(/^"|"$/g, '');
    }
  }
  return env;
}

/**
 * Space-separated NAME=value settings from a bench variable (KINEO_BENCH_OTHER_ENV,
 * KINEO_BENCH_GATEWAY_ENV), for one gateway process only: an allocator's LD_PRELOAD or
 * GLIBC_TUNABLES must reach the gateway, not the bench, Postgres or Redis beside it.
 */
export function envAssignments(variable: string): Record<string, string> {
  return Object.fromEntries(
    (process.env[variable] ?? '')
      .split(' ')
      .filter(Boolean)
      .map((assignment) => {
        const at = assignment.indexOf('=');
        if (at < 1) throw new Error(`${variable}: "${assignment}" is not NAME=value`);
        return [assignment.slice(0, at), assignment.slice(at + 1)];
      }),
  );
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

export interface GeneratedExport {
  dir: string;
  csvFiles: string[];
  rows: number;
  bytes: number;
}

export async function generate(dir: string, users: number): Promise<GeneratedExport> {
  console.log(`generating an export of ${fmt(users)} users...`);
  const generated = await generateExport({ dir, users, seed: 1, asOf: new Date('2025-06-30T00:00:00Z') });
  const csvFiles = fs.readdirSync(dir).filter((f) => f.endsWith('.csv'));
  const bytes = csvFiles.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  console.log(`  ${fmt(generated.totalRows)} rows, ${gib(bytes)}, in ${secs(generated.durationMs)}`);
  return { dir, csvFiles, rows: generated.totalRows, bytes };
}

/** An export already on disk. */
export function describeExport(dir: string): GeneratedExport {
  const csvFiles = fs.readdirSync(dir).filter((f) => f.endsWith('.csv'));
  const bytes = csvFiles.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  console.log(`using the export in ${dir}: ${gib(bytes)}`);
  return { dir, csvFiles, rows: 0, bytes };
}

export interface StageResult {
  stage: string;
  durationMs?: number;
  details?: { models?: { model: string; durationMs: number; rows: number }[] };
}

/** The build's time in gold models and in the analytics rollups (built in the snapshots stage), from the stages' model records. */
export function rollupBuildLine(stages: StageResult[]): string {
  const models = stages.flatMap((s) => s.details?.models ?? []);
  // The manifest is a rollup_ table too, of one row per rollup: its time counts, it is not a rollup.
  const rollups = models.filter((m) => m.model.startsWith('gold.rollup_') && m.model !== 'gold.rollup_manifest');
  const gold = models.filter((m) => m.model.startsWith('gold.') && !m.model.startsWith('gold.rollup_'));
  const total = (list: { durationMs: number }[]) => list.reduce((n, m) => n + m.durationMs, 0);
  return (
    `build: gold models ${secs(total(gold))}, rollups ${secs(total(rollups))} (${rollups.length} tables, ${fmt(rollups.reduce((n, m) => n + m.rows, 0))} rows; ` +
    `${((100 * total(rollups)) / Math.max(1, total(gold))).toFixed(0)} % of the gold models' time)`
  );
}

export interface IngestRun {
  rowsRead: number;
  rowsQuarantined: number;
  stages: StageResult[];
  wallMs: number;
  /** The worker's peak resident memory (VmHWM), bytes. */
  workerPeakBytes: number;
  stageMs(name: string): number;
  /** Where the stack keeps tenant data (warehouse files, landing). */
  dataDir: string;
  /** The stack's environment (database, Redis, data directory), for more processes against it. */
  env: Record<string, string>;
  /** `kineo sql` on the published gold, as rows of objects. */
  sql(query: string): Record<string, unknown>[];
}

/**
 * Starts a throwaway stack and worker, creates a tenant, runs `kineo ingest --json` on the export
 * (which waits for the whole flow: ingest → silver → hierarchy → gold → snapshots → publish), and
 * hands the outcome to `report` before the stack stops.
 *
 * With `keepIn`, the stack lives in that folder and stays after the run; a second run with the same
 * folder finds the tenant built (`built.json`) and reports on it without loading again, since a
 * tenant of 10M rows takes long to build on a shared machine.
 */
export async function ingestThroughStack(
  exportDir: string | (() => Promise<string>),
  options: {
    threads: number;
    memoryLimit: string;
    keepIn?: string;
    /** Settings of another engine than DuckDB (Databricks), given the stack's directory and data directory before the worker starts, for every process after. */
    engineEnv?: (stack: { dir: string; dataDir: string }) => Promise<Record<string, string>>;
  },
  report: (run: IngestRun) => void | Promise<void>,
): Promise<void> {
  const builtFile = options.keepIn ? path.join(options.keepIn, 'built.json') : undefined;
  const built = builtFile && fs.existsSync(builtFile) ? (JSON.parse(fs.readFileSync(builtFile, 'utf8')) as { outcome: IngestOutcome; wallMs: number; workerPeakBytes: number }) : undefined;
  const stack = await startTestStack({ keepIn: options.keepIn });
  const engineEnv =
    (await options.engineEnv?.({ dir: stack.dir, dataDir: stack.env.KINEO_DATA_DIR }).catch(async (error: unknown) => {
      await stack.stop();
      throw error;
    })) ?? {};
  const env = { ...process.env, ...stack.env, ...engineEnv, LOG_LEVEL: 'warn', DUCKDB_THREADS: String(options.threads), DUCKDB_MEMORY_LIMIT: options.memoryLimit };
  const cli = (args: string[]) => spawnSync(process.execPath, [KINEO, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  try {
    const { outcome, wallMs, workerPeakBytes } = built ?? (await loadTenant(typeof exportDir === 'string' ? exportDir : await exportDir(), env, cli));
    if (builtFile && !built) fs.writeFileSync(builtFile, JSON.stringify({ outcome, wallMs, workerPeakBytes }));
    if (built) {
      console.log(`using the tenant built in ${options.keepIn}`);
      await rebuildWithStaleRollups(env, cli);
    }
    await report({
      ...outcome,
      wallMs,
      workerPeakBytes,
      dataDir: stack.env.KINEO_DATA_DIR,
      env: { ...stack.env, ...engineEnv, DUCKDB_THREADS: String(options.threads), DUCKDB_MEMORY_LIMIT: options.memoryLimit },
      stageMs: (name) => outcome.stages.find((s) => s.stage === name)?.durationMs ?? 0,
      sql: (query) => {
        const result = cli(['sql', 'bench', query, '--json']);
        if (result.status !== 0) throw new Error(`kineo sql failed: ${result.stderr}`);
        return result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      },
    });
  } finally {
    await stack.stop();
  }
}

/**
 * A kept tenant built before rollups existed has no gold.rollup_manifest, and one built by an older
 * release may hold rollups this release defines otherwise (their signatures differ): rebuilds it from
 * its bronze (`kineo tenant rebuild bench --as-of 2025-06-30 --wait`, with a worker process) so its
 * published version has this release's rollups. Queries read the facts where a rollup is missing or
 * stale, so this is only for measuring.
 */
async function rebuildWithStaleRollups(env: Record<string, string | undefined>, cli: (args: string[]) => SpawnSyncReturns<string>): Promise<void> {
  const probe = cli(['sql', 'bench', ROLLUP_MANIFEST_QUERY, '--json']);
  const published = probe.status === 0 ? parseRollupManifest(probe.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)) : [];
  const stale = staleRollups(published, duckdbDialect);
  if (stale.length === 0) return;
  const why = probe.status === 0 ? `'s rollups ${stale.join(', ')} were built from another definition` : ' was published without rollups';
  console.log(`the kept tenant${why}: rebuilding it (kineo tenant rebuild bench --as-of 2025-06-30 --wait)`);
  const worker = spawn(process.execPath, [path.join(ROOT, 'apps/worker/dist/main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const started = process.hrtime.bigint();
    const rebuilt = cli(['tenant', 'rebuild', 'bench', '--as-of', '2025-06-30', '--wait', '--json']);
    if (rebuilt.status !== 0) throw new Error(`kineo tenant rebuild failed: ${rebuilt.stderr}\n${rebuilt.stdout.slice(0, 2000)}`);
    const outcome = JSON.parse(rebuilt.stdout) as { dataVersion: number; stages: { stage: string; durationMs: number | null }[] };
    const stages = outcome.stages.map((s) => `${s.stage} ${((s.durationMs ?? 0) / 1000).toFixed(0)} s`).join(', ');
    console.log(`rebuilt as version ${outcome.dataVersion} in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0)} s (${stages})`);
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
  }
}

interface IngestOutcome {
  rowsRead: number;
  rowsQuarantined: number;
  stages: StageResult[];
}

/** Creates the tenant "bench" (enterprise plan: its row limit admits the largest benchmark loads) and loads the export through a worker process, to published gold. */
async function loadTenant(
  exportDir: string,
  env: Record<string, string | undefined>,
  cli: (args: string[]) => SpawnSyncReturns<string>,
): Promise<{ outcome: IngestOutcome; wallMs: number; workerPeakBytes: number }> {
  const worker = spawn(process.execPath, [path.join(ROOT, 'apps/worker/dist/main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const created = cli(['tenant', 'create', 'bench', '--name', 'Bench', '--plan', 'enterprise', '--fiscal-start', '7', '--wait']);
    if (created.status !== 0) throw new Error(created.stderr);
    const start = process.hrtime.bigint();
    const ingest = cli(['ingest', 'bench', exportDir, '--as-of', '2025-06-30', '--json']);
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (ingest.status !== 0) throw new Error(`kineo ingest failed: ${ingest.stderr}\n${ingest.stdout.slice(0, 2000)}`);
    const outcome = JSON.parse(ingest.stdout) as IngestOutcome;
    const peakKb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${worker.pid}/status`, 'utf8'))?.[1] ?? 0);
    return { outcome, wallMs, workerPeakBytes: peakKb * 1024 };
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
  }
}

/**
 * Whether a GraphQL reply's text reports a failure: the request's `errors`, or a dashboard tile's own
 * `error` (a tile fails alone, inside a 200 with data), for the benches' queries that select it.
 */
export function replyFailed(text: string | Buffer): boolean {
  return text.includes('"errors"') || text.includes('"error":{');
}

/** A dashboard answer's failed tiles, as 'id: CODE message' (empty when every tile answered or it is no dashboard). */
export function tileFailures(data: Record<string, unknown> | null | undefined): string[] {
  const tiles = (data?.dashboard as { tiles?: { id?: string; error?: { code: string; message: string } | null }[] } | undefined)?.tiles ?? [];
  return tiles.filter((t) => t.error).map((t) => `${t.id ?? '?'}: ${t.error!.code} ${t.error!.message}`);
}

/**
 * One of a fleet of bench tenants beside "bench": created (enterprise plan), provisioned and active
 * the first time, found again on a kept stack. With `snapshot`, it gets a copy of that published gold
 * as its version 1, copied on every run, so a kept stack whose bench tenant was rebuilt (a release
 * that changed gold) gives it the same gold again instead of leaving it on an older release's.
 */
export async function fleetTenant(
  deps: { prisma: PrismaClient; tenants: TenantService; warehouse: DuckDbWarehouse },
  slug: string,
  snapshot?: string,
): Promise<Tenant> {
  const { prisma, tenants, warehouse } = deps;
  const existing = await prisma.tenant.findUnique({ where: { slug } });
  const tenant = existing ?? (await tenants.create({ slug, name: slug, planCode: 'enterprise', actor: 'bench' }));
  if (!existing) {
    await warehouse.provision({ tenantId: tenant.id, namespace: tenant.namespace });
    await tenants.markActive(tenant.id, 'bench');
  }
  if (!snapshot) return tenant;
  const dir = warehouse.tenantDir({ tenantId: tenant.id, namespace: tenant.namespace });
  fs.copyFileSync(snapshot, path.join(dir, 'gold', 'v1.duckdb'));
  fs.writeFileSync(path.join(dir, 'published.json'), JSON.stringify({ version: 1, publishedAt: new Date().toISOString() }));
  return existing ? tenant : await prisma.tenant.update({ where: { id: tenant.id }, data: { dataVersion: 1 } });
}
