import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { compileQuery, dashboardQueries, type AnalyticsFilter } from '@kineo/analytics';
import { duckdbDialect } from '@kineo/warehouse';

const [file, asOf, dashboard, period] = process.argv.slice(2);
function lastYearTo(members: string[]): AnalyticsFilter[] {
  const to = new Date(`${asOf}T00:00:00Z`);
  const from = new Date(Date.UTC(to.getUTCFullYear() - 1, to.getUTCMonth(), to.getUTCDate() + 1));
  return members.map((member) => ({ member, operator: 'inDateRange', values: [from.toISOString().slice(0, 10), to.toISOString().slice(0, 10)] }));
}
async function main() {
  const instance = await DuckDBInstance.create(file, { threads: '2', memory_limit: '2GB', access_mode: 'READ_ONLY' });
  const c = await instance.connect();
  const filters = period ? lastYearTo([period]) : [];
  for (const { tile, run } of dashboardQueries(dashboard, filters)) {
    const q = compileQuery(run, { kind: 'tenant' }, duckdbDialect, { asOf: `${asOf}T00:00:00.000Z` });
    const params = q.params.map((v) => (v instanceof Date ? v.toISOString() : v)) as DuckDBValue[];
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = performance.now();
      await c.runAndReadAll(q.sql, params);
      if (i) times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(`${tile.id.padEnd(24)} ${times[1].toFixed(0).padStart(6)} ms   ${process.env.SQL ? q.sql : ''}`);
  }
  c.closeSync();
  instance.closeSync();
}
main();
