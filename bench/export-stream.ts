// bench/export-memory's baseline, run as a process of its own: the export's compiled SQL streamed
// straight from the published snapshot by the warehouse driver, in the gateway's chunks, its rows
// counted and dropped; prints its own resident memory before and at its peak (JSON on stdout).
// Arguments: one JSON object { rootDir, threads, memoryLimit, ref, version, sql, params }.
import fs from 'node:fs';
import { DuckDbWarehouse, type SqlParam, type TenantNamespace } from '@kineo/warehouse';

interface Job {
  rootDir: string;
  threads: number;
  memoryLimit: string;
  ref: TenantNamespace;
  version: number;
  sql: string;
  params: SqlParam[];
}

const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;

async function main() {
  const job = JSON.parse(process.argv[2] ?? '{}') as Job;
  const warehouse = new DuckDbWarehouse({ rootDir: job.rootDir, threads: job.threads, memoryLimit: job.memoryLimit });
  // DuckDB loaded and the snapshot opened first, as a gateway that has answered before has them.
  await warehouse.queryPublished(job.ref, 'select 1 as one', [], { version: job.version });
  const before = rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50);
  let rows = 0;
  const started = performance.now();
  for await (const chunk of warehouse.streamPublished(job.ref, job.sql, job.params, { version: job.version, chunkSize: 2000 })) rows += chunk.length;
  clearInterval(sampler);
  peak = Math.max(peak, rss());
  process.stdout.write(JSON.stringify({ before, peak, rows, seconds: (performance.now() - started) / 1000 }));
  await warehouse.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
