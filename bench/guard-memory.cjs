// bench/guard-memory: what the read-only guard's DuckDB costs a process that has no other use for
// DuckDB (a gateway on Databricks). In a fresh process: resident memory before and after loading the
// guard's module (the DuckDB bindings and libduckdb), after its first check (the parser's in-memory
// DuckDB opened, its function list read), after 500 more distinct checks, and after close(); and the
// resident pages of DuckDB's files at each step. Run after a build:
//   node bench/guard-memory.cjs [runs]   (default 3, each in a process of its own)
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const mib = (kb) => (kb / 1024).toFixed(1);

function measure() {
  const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
  const duckdbFileKb = () => {
    let kb = 0;
    let duckdb = false;
    for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) duckdb = /duckdb/.test(line);
      else if (duckdb && line.startsWith('Rss:')) kb += Number(/(\d+)/.exec(line)[1]);
    }
    return kb;
  };
  const steps = [];
  const step = (name) => steps.push({ name, rssKb: rssKb(), duckdbFileKb: duckdbFileKb() });
  return (async () => {
    step('started');
    const { ReadOnlyGuard } = require(path.join(__dirname, '../libs/warehouse/dist/read-only.js'));
    step('guard module loaded');
    const guard = new ReadOnlyGuard();
    await guard.assertReadOnlySelect('select count(*) as n from gold.fact_course_progress f join gold.dim_user u on u.user_key = f.user_key where u.is_active', ['gold']);
    step('first check');
    for (let i = 0; i < 500; i++) await guard.assertReadOnlySelect(`select count(*) as n${i} from gold.fact_course_progress where status = 'x${i}'`, ['gold']);
    step('500 more checks');
    await guard.close();
    step('closed');
    return steps;
  })();
}

if (process.argv[2] === '--child') {
  measure().then((steps) => process.stdout.write(JSON.stringify(steps)));
} else {
  const runs = Number(process.argv[2] ?? 3);
  console.log(`node ${process.version}; resident MiB (of it, DuckDB's file pages), one fresh process per run`);
  const all = [];
  for (let i = 0; i < runs; i++) all.push(JSON.parse(execFileSync(process.execPath, [__filename, '--child'], { encoding: 'utf8' })));
  for (let s = 0; s < all[0].length; s++) {
    const cells = all.map((steps) => `${mib(steps[s].rssKb)} (${mib(steps[s].duckdbFileKb)})`);
    const delta = s === 0 ? '' : `  +${all.map((steps) => mib(steps[s].rssKb - steps[s - 1].rssKb)).join(' / ')}`;
    console.log(`${all[0][s].name.padEnd(22)}${cells.join('  ')}${delta}`);
  }
}
