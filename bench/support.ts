// What bench/ingest and bench/build share: generate an export, run `kineo ingest` against the real
// stack (embedded Postgres, Redis, the worker process) the way a person runs it, and read back the
// stage times the worker recorded and the worker's peak memory.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generateExport } from '@kineo/generator';
import { startTestStack } from '@kineo/testkit';

export const ROOT = path.join(__dirname, '..');
const KINEO = path.join(ROOT, 'apps/cli/bin/kineo.js');

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
 */
export async function ingestThroughStack(exportDir: string, options: { threads: number; memoryLimit: string }, report: (run: IngestRun) => void | Promise<void>): Promise<void> {
  const stack = await startTestStack();
  const env = { ...process.env, ...stack.env, LOG_LEVEL: 'warn', DUCKDB_THREADS: String(options.threads), DUCKDB_MEMORY_LIMIT: options.memoryLimit };
  const worker = spawn(process.execPath, [path.join(ROOT, 'apps/worker/dist/main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const cli = (args: string[]) => spawnSync(process.execPath, [KINEO, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const created = cli(['tenant', 'create', 'bench', '--name', 'Bench', '--fiscal-start', '7', '--wait']);
    if (created.status !== 0) throw new Error(created.stderr);
    const start = process.hrtime.bigint();
    const ingest = cli(['ingest', 'bench', exportDir, '--as-of', '2025-06-30', '--json']);
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (ingest.status !== 0) throw new Error(`kineo ingest failed: ${ingest.stderr}\n${ingest.stdout.slice(0, 2000)}`);
    const outcome = JSON.parse(ingest.stdout) as { rowsRead: number; rowsQuarantined: number; stages: StageResult[] };
    const peakKb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${worker.pid}/status`, 'utf8'))?.[1] ?? 0);
    await report({
      ...outcome,
      wallMs,
      workerPeakBytes: peakKb * 1024,
      dataDir: stack.env.KINEO_DATA_DIR,
      env: { ...stack.env, DUCKDB_THREADS: String(options.threads), DUCKDB_MEMORY_LIMIT: options.memoryLimit },
      stageMs: (name) => outcome.stages.find((s) => s.stage === name)?.durationMs ?? 0,
      sql: (query) => {
        const result = cli(['sql', 'bench', query, '--json']);
        if (result.status !== 0) throw new Error(`kineo sql failed: ${result.stderr}`);
        return result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      },
    });
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await stack.stop();
  }
}
