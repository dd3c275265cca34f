// bench/ingest: `kineo ingest` of a generated export (default 1,000,000 users) through the real
// stack (Postgres, Redis, the worker), next to DuckDB's own read_csv of the same files into plain
// tables in the same run. Prints rows per second for each, their ratio, the hierarchy stage alone,
// and the worker's peak memory.
// Run: npm run bench:ingest [-- <users>]   (a 1M-user export is about 4 GB on disk)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateExport } from '@kineo/generator';
import { startTestStack } from '@kineo/testkit';

const users = Number(process.argv[2] ?? 1_000_000);
const root = path.join(__dirname, '..');
const kineo = path.join(root, 'apps/cli/bin/kineo.js');
const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');

interface Stage {
  stage: string;
  durationMs?: number;
  details?: { models?: { model: string; durationMs: number; rows: number }[] };
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-bench-ingest-'));
  fs.chmodSync(work, 0o755);
  const exportDir = path.join(work, 'export');
  console.log(`generating an export of ${fmt(users)} users...`);
  const generated = await generateExport({ dir: exportDir, users, seed: 1, asOf: new Date('2025-06-30T00:00:00Z') });
  const csvFiles = fs.readdirSync(exportDir).filter((f) => f.endsWith('.csv'));
  const bytes = csvFiles.reduce((n, f) => n + fs.statSync(path.join(exportDir, f)).size, 0);
  console.log(`  ${fmt(generated.totalRows)} rows, ${(bytes / 1024 ** 3).toFixed(2)} GiB, in ${(generated.durationMs / 1000).toFixed(1)} s`);

  // Baseline: DuckDB alone, same thread count, reading every file as text into a plain table.
  const threads = Number(process.env.DUCKDB_THREADS ?? 2);
  const baselineDb = await DuckDBInstance.create(path.join(work, 'baseline.duckdb'), { threads: String(threads) });
  const c = await baselineDb.connect();
  const baselineStart = process.hrtime.bigint();
  let baselineRows = 0;
  for (const file of csvFiles) {
    const table = file.replace(/\.csv$/, '');
    await c.run(`create table ${table} as select * from read_csv('${path.join(exportDir, file)}', all_varchar = true, header = true)`);
    const n = await c.runAndReadAll(`select count(*) as n from ${table}`);
    baselineRows += Number(n.getRowObjectsJS()[0].n);
  }
  const baselineMs = Number(process.hrtime.bigint() - baselineStart) / 1e6;
  c.closeSync();
  baselineDb.closeSync();

  // The product: the real stack, the real worker, `kineo ingest` as a person runs it.
  const stack = await startTestStack();
  const env = { ...process.env, ...stack.env, LOG_LEVEL: 'warn', DUCKDB_THREADS: String(threads), DUCKDB_MEMORY_LIMIT: process.env.DUCKDB_MEMORY_LIMIT ?? '8GB' };
  const worker = spawn(process.execPath, [path.join(root, 'apps/worker/dist/main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const cli = (args: string[]) => spawnSync(process.execPath, [kineo, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const created = cli(['tenant', 'create', 'bench', '--name', 'Bench', '--fiscal-start', '7', '--wait']);
    if (created.status !== 0) throw new Error(created.stderr);
    const start = process.hrtime.bigint();
    const ingest = cli(['ingest', 'bench', exportDir, '--as-of', '2025-06-30', '--json']);
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (ingest.status !== 0) throw new Error(`kineo ingest failed: ${ingest.stderr}\n${ingest.stdout.slice(0, 2000)}`);
    const outcome = JSON.parse(ingest.stdout) as { rowsRead: number; rowsLoaded: number; rowsQuarantined: number; stages: Stage[] };
    const stageMs = (name: string) => outcome.stages.find((s) => s.stage === name)?.durationMs ?? 0;
    const toHierarchyMs = stageMs('ingest') + stageMs('silver') + stageMs('hierarchy');
    const peakKb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${worker.pid}/status`, 'utf8'))?.[1] ?? 0);
    const models = outcome.stages.find((s) => s.stage === 'hierarchy')?.details?.models ?? [];

    console.log('');
    console.log(`export:                         ${fmt(users)} users, ${fmt(outcome.rowsRead)} rows read, ${fmt(outcome.rowsQuarantined)} quarantined`);
    console.log(`baseline  DuckDB read_csv only: ${(baselineMs / 1000).toFixed(1)} s, ${fmt(baselineRows / (baselineMs / 1000))} rows/s`);
    console.log(`kineo ingest to silver + hierarchy: ${(toHierarchyMs / 1000).toFixed(1)} s, ${fmt(outcome.rowsRead / (toHierarchyMs / 1000))} rows/s`);
    console.log(`ratio (pipeline to hierarchy / raw read): ${(toHierarchyMs / baselineMs).toFixed(2)}x   (target: within 2x)`);
    console.log(`  stage ingest (bronze, checks, quarantine): ${(stageMs('ingest') / 1000).toFixed(1)} s`);
    console.log(`  stage silver:                  ${(stageMs('silver') / 1000).toFixed(1)} s`);
    console.log(`  stage hierarchy:               ${(stageMs('hierarchy') / 1000).toFixed(1)} s   (target: under 30 s)`);
    for (const m of models) console.log(`    ${m.model.padEnd(36)} ${(m.durationMs / 1000).toFixed(1)} s  ${fmt(m.rows)} rows`);
    console.log(`kineo ingest wall time, through gold and publish: ${(wallMs / 1000).toFixed(1)} s`);
    for (const s of ['gold', 'snapshots', 'publish']) console.log(`  stage ${s.padEnd(24)} ${(stageMs(s) / 1000).toFixed(1)} s`);
    console.log(`worker peak resident memory:    ${(peakKb / 1024 / 1024).toFixed(2)} GiB`);
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await stack.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
