// bench/period-sort: would a period's first view be faster with each fact table written sorted by its period's date?
//
// Takes a published gold snapshot (a kept bench tenant's `<data>/warehouse/t_000001/gold/v<N>.duckdb`) and its as-of day,
// copies it twice into a throwaway directory, rewrites the second copy's facts `order by` their period's date, and times
// every period-cut dashboard over the last 12 months to the as-of on both: the tiles compiled as the gateway compiles them
// (the org admin's scope, from the facts, no rollups), run in parallel on one DuckDB of 2 threads, as the gateway runs them.
//
//   npm run bench:period-sort -- <snapshot.duckdb> <as-of YYYY-MM-DD>
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { compileQuery, DASHBOARDS, dashboardQueries, type AnalyticsFilter } from '@kineo/analytics';
import { duckdbDialect } from '@kineo/warehouse';

const RUNS = Number(process.env.KINEO_BENCH_RUNS ?? 3);

/** Each fact a dashboard period cuts, and the date it is cut by. */
const SORTED_BY: Record<string, string> = {
  'gold.fact_course_progress': 'enrolled_date_key',
  'gold.fact_learning_time': 'date_key',
  'gold.fact_scorm': 'last_accessed_date_key',
  'gold.fact_seminar_signup': 'status_date_key',
  'gold.fact_program_progress': 'assigned_date_key',
  'gold.fact_certification_progress': 'expires_date_key',
};

/** "Last 12 months" to the as-of day on each of a period's members, as the portal sends it. */
function lastYearTo(asOf: string, members: string[]): AnalyticsFilter[] {
  const to = new Date(`${asOf}T00:00:00Z`);
  const from = new Date(Date.UTC(to.getUTCFullYear() - 1, to.getUTCMonth(), to.getUTCDate() + 1));
  return members.map((member) => ({ member, operator: 'inDateRange', values: [from.toISOString().slice(0, 10), to.toISOString().slice(0, 10)] }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Every period-cut dashboard's median ms on one snapshot, its tiles in parallel on connections kept between runs. */
async function timeDashboards(file: string, asOf: string): Promise<Map<string, number>> {
  const instance = await DuckDBInstance.create(file, { threads: '2', memory_limit: '2GB', access_mode: 'READ_ONLY' });
  const connections: DuckDBConnection[] = [];
  const times = new Map<string, number>();
  try {
    for (const d of DASHBOARDS.filter((x) => x.roles.includes('org_admin'))) {
      for (const p of d.periods) {
        const compiled = dashboardQueries(d.id, lastYearTo(asOf, p.members)).map(({ run }) => compileQuery(run, { kind: 'tenant' }, duckdbDialect, { asOf: `${asOf}T00:00:00.000Z` }));
        while (connections.length < compiled.length) connections.push(await instance.connect());
        const runs: number[] = [];
        // One run to warm the snapshot's cache, then RUNS timed.
        for (let i = 0; i <= RUNS; i++) {
          const started = performance.now();
          // Every tile settles before a failure is thrown: closing a connection with a statement in flight waits on it.
          const settled = await Promise.allSettled(
            compiled.map((c, k) => connections[k].runAndReadAll(c.sql, c.params.map((v) => (v instanceof Date ? v.toISOString() : v)) as DuckDBValue[])),
          );
          const failed = settled.find((r) => r.status === 'rejected');
          if (failed) throw failed.reason;
          if (i > 0) runs.push(performance.now() - started);
        }
        times.set(`${d.id} · ${p.title}`, median(runs));
      }
    }
  } finally {
    for (const c of connections) c.closeSync();
    instance.closeSync();
  }
  return times;
}

async function main() {
  const [snapshot, asOf] = process.argv.slice(2);
  if (!snapshot || !fs.existsSync(snapshot) || !/^\d{4}-\d{2}-\d{2}$/.test(asOf ?? '')) {
    throw new Error('usage: npm run bench:period-sort -- <published gold snapshot .duckdb> <its as-of, YYYY-MM-DD>');
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-bench-period-sort-'));
  try {
    const asBuilt = path.join(work, 'as-built.duckdb');
    const sorted = path.join(work, 'sorted.duckdb');
    fs.copyFileSync(snapshot, asBuilt);
    fs.copyFileSync(snapshot, sorted);
    const writer = await DuckDBInstance.create(sorted, { threads: '2', memory_limit: '2GB' });
    const connection = await writer.connect();
    for (const [table, key] of Object.entries(SORTED_BY)) {
      const started = performance.now();
      await connection.run(`create or replace table ${table} as select * from ${table} order by ${key}`);
      console.log(`sorted ${table} by ${key} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    await connection.run('checkpoint');
    connection.closeSync();
    writer.closeSync();

    const before = await timeDashboards(asBuilt, asOf);
    const after = await timeDashboards(sorted, asOf);
    console.log('');
    console.log(`period-cut dashboards, last 12 months to ${asOf}, from the facts (medians of ${RUNS}, tiles in parallel, ms)`);
    console.log(`${'dashboard · period'.padEnd(40)}${'as built'.padStart(10)}${'sorted by the period\u2019s date'.padStart(32)}`);
    for (const [view, ms] of before) console.log(`${view.padEnd(40)}${ms.toFixed(0).padStart(10)}${after.get(view)!.toFixed(0).padStart(32)}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
