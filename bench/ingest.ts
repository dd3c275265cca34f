// bench/ingest: `kineo ingest` of a generated export (default 1,000,000 users) through the real
// stack (Postgres, Redis, the worker), next to DuckDB's own read_csv of the same files into plain
// tables in the same run. Prints rows per second for each, their ratio, the hierarchy stage alone,
// and the worker's peak memory.
// Run: npm run bench:ingest [-- <users>]   (a 1M-user export is about 4 GB on disk)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describeExport, fmt, generate, gib, ingestThroughStack, secs } from './support';

const users = Number(process.argv[2] ?? 1_000_000);

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-bench-ingest-'));
  fs.chmodSync(work, 0o755);
  try {
    // KINEO_BENCH_EXPORT reuses an export generated earlier with the same size (the generator is deterministic).
    const exported = process.env.KINEO_BENCH_EXPORT ? describeExport(process.env.KINEO_BENCH_EXPORT) : await generate(path.join(work, 'export'), users);

    // Baseline: DuckDB alone, same thread count, reading every file as text into a plain table.
    const threads = Number(process.env.DUCKDB_THREADS ?? 2);
    const baselineDb = await DuckDBInstance.create(path.join(work, 'baseline.duckdb'), { threads: String(threads) });
    const c = await baselineDb.connect();
    const baselineStart = process.hrtime.bigint();
    let baselineRows = 0;
    for (const file of exported.csvFiles) {
      const table = file.replace(/\.csv$/, '');
      await c.run(`create table ${table} as select * from read_csv('${path.join(exported.dir, file)}', all_varchar = true, header = true)`);
      const n = await c.runAndReadAll(`select count(*) as n from ${table}`);
      baselineRows += Number(n.getRowObjectsJS()[0].n);
    }
    const baselineMs = Number(process.hrtime.bigint() - baselineStart) / 1e6;
    // The pipeline's figures include writing its tables to disk for good; this is the baseline's share of that.
    await c.run('checkpoint');
    const durableMs = Number(process.hrtime.bigint() - baselineStart) / 1e6;
    c.closeSync();
    baselineDb.closeSync();
    fs.rmSync(path.join(work, 'baseline.duckdb'), { force: true });

    await ingestThroughStack(exported.dir, { threads, memoryLimit: process.env.DUCKDB_MEMORY_LIMIT ?? '8GB' }, (run) => {
      const toHierarchyMs = run.stageMs('ingest') + run.stageMs('silver') + run.stageMs('hierarchy');
      const models = run.stages.find((s) => s.stage === 'hierarchy')?.details?.models ?? [];
      console.log('');
      console.log(`export:                         ${fmt(users)} users, ${fmt(run.rowsRead)} rows read, ${fmt(run.rowsQuarantined)} quarantined`);
      console.log(`baseline  DuckDB read_csv only: ${secs(baselineMs)}, ${fmt(baselineRows / (baselineMs / 1000))} rows/s`);
      console.log(`kineo ingest to silver + hierarchy: ${secs(toHierarchyMs)}, ${fmt(run.rowsRead / (toHierarchyMs / 1000))} rows/s`);
      console.log(`ratio (pipeline to hierarchy / raw read): ${(toHierarchyMs / baselineMs).toFixed(2)}x   (target: within 2x)`);
      console.log(`  the baseline with its final checkpoint: ${secs(durableMs)}; ratio against that ${(toHierarchyMs / durableMs).toFixed(2)}x`);
      console.log(`  stage ingest (bronze, checks, quarantine): ${secs(run.stageMs('ingest'))}`);
      console.log(`  stage silver:                  ${secs(run.stageMs('silver'))}`);
      console.log(`  stage hierarchy:               ${secs(run.stageMs('hierarchy'))}   (target: under 30 s)`);
      for (const m of models) console.log(`    ${m.model.padEnd(36)} ${secs(m.durationMs)}  ${fmt(m.rows)} rows`);
      console.log(`kineo ingest wall time, through gold and publish: ${secs(run.wallMs)}`);
      for (const s of ['gold', 'snapshots', 'publish']) console.log(`  stage ${s.padEnd(24)} ${secs(run.stageMs(s))}`);
      console.log(`worker peak resident memory:    ${gib(run.workerPeakBytes)}`);
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
