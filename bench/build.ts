// bench/build: the full build (silver → published gold) of generated tenants, with the worker's
// peak memory, through the real stack as `kineo ingest` runs it. By default a 1,000,000-user tenant
// and one with at least 100M course-progress rows (the generator writes about 17.8 course
// completions per user, so 5,650,000 users).
// Run: npm run bench:build [-- <users> ...]   (5.65M users is about 20 GB of CSV and 60+ GB of disk in all)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeExport, fmt, generate, gib, ingestThroughStack, rollupBuildLine, secs } from './support';

const BUILD_STAGES = ['silver', 'hierarchy', 'gold', 'snapshots', 'publish'];
const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [1_000_000, 5_650_000];
const memoryLimit = process.env.DUCKDB_MEMORY_LIMIT ?? '4GB';

async function main() {
  for (const users of sizes) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-bench-build-'));
    fs.chmodSync(work, 0o755);
    try {
      // KINEO_BENCH_EXPORT reuses an export generated earlier with the same size (the generator is deterministic).
      const exported = process.env.KINEO_BENCH_EXPORT ? describeExport(process.env.KINEO_BENCH_EXPORT) : await generate(path.join(work, 'export'), users);
      await ingestThroughStack(exported.dir, { threads: Number(process.env.DUCKDB_THREADS ?? 2), memoryLimit }, (run) => {
        const buildMs = BUILD_STAGES.reduce((n, s) => n + run.stageMs(s), 0);
        const [facts] = run.sql('select count(*) as n from gold.fact_course_progress');
        console.log('');
        console.log(`tenant:                         ${fmt(users)} users, ${fmt(run.rowsRead)} source rows (${gib(exported.bytes)} of CSV)`);
        console.log(`gold.fact_course_progress:      ${fmt(Number(facts.n))} rows`);
        console.log(`ingest stage (bronze, not part of the build): ${secs(run.stageMs('ingest'))}`);
        console.log(`full build, silver → published gold: ${secs(buildMs)}   (target for 1M users: under 600 s)`);
        for (const s of BUILD_STAGES) console.log(`  stage ${s.padEnd(24)} ${secs(run.stageMs(s))}`);
        console.log(`  ${rollupBuildLine(run.stages)}`);
        console.log(`worker peak resident memory:    ${gib(run.workerPeakBytes)}   (DUCKDB_MEMORY_LIMIT=${memoryLimit}; target: under 8 GiB)`);
        console.log(`tenant data on disk:            ${gib(duBytes(run.dataDir))}`);
        console.log('');
      });
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
}

function duBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += duBytes(full);
    else if (entry.isFile()) total += fs.statSync(full).size;
  }
  return total;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
