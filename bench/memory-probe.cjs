// bench/memory-probe: preloaded into the gateway by bench/gateway-memory.ts (`node --require`), never by
// the product. On SIGUSR2 it writes what only the process itself can tell about its memory to
// KINEO_BENCH_MEMORY_PROBE_OUT (one JSON object, replaced each time): process.memoryUsage(), V8's heap
// spaces, and whether the DuckDB bindings and the Databricks driver were loaded. What the kernel can tell
// (smaps) the bench reads from outside. It holds nothing between signals, so it costs the gateway
// a few KiB of code.
'use strict';
const fs = require('node:fs');
const v8 = require('node:v8');

const out = process.env.KINEO_BENCH_MEMORY_PROBE_OUT;
if (!out) throw new Error('memory-probe: set KINEO_BENCH_MEMORY_PROBE_OUT to the file it writes');

// A full collection on request (the file <out>.gc exists): what the heap holds live, as against
// what it has not collected yet. Asked only after the bench has read the figures it reports.
let collect;
function collectGarbage() {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = require('node:vm').runInNewContext('gc');
  }
  collect();
}

process.on('SIGUSR2', () => {
  const collected = fs.existsSync(`${out}.gc`);
  if (collected) collectGarbage();
  const loaded = Object.keys(require.cache);
  const report = {
    collected,
    memoryUsage: process.memoryUsage(),
    heapSpaces: v8.getHeapSpaceStatistics().map((s) => ({ name: s.space_name, size: s.space_size, used: s.space_used_size })),
    modules: loaded.length,
    // Modules per package (the last node_modules/<package> in each path), to see what a change of engine loads.
    packages: loaded.reduce((counts, file) => {
      const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
      const name = match ? match[1] : '(the app)';
      counts[name] = (counts[name] ?? 0) + 1;
      return counts;
    }, {}),
    duckdbBindings: loaded.some((file) => file.includes('@duckdb/node-bindings')),
    databricksDriver: loaded.some((file) => file.includes('@databricks/sql')),
  };
  fs.writeFileSync(`${out}.tmp`, JSON.stringify(report));
  fs.renameSync(`${out}.tmp`, out);
});
