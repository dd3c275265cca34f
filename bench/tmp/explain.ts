import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { compileQuery, dashboardQueries, parseRollupManifest, ROLLUP_MANIFEST_QUERY } from '@kineo/analytics';
import { duckdbDialect } from '@kineo/warehouse';
async function main() {
  const [tile, member, from, to] = process.argv.slice(2);
  const instance = await DuckDBInstance.create('/tmp/period-rollups.duckdb', { threads: '2', memory_limit: '2GB', access_mode: 'READ_ONLY' });
  const c = await instance.connect();
  await c.run("pragma enable_profiling='json'"); 
  const manifest = parseRollupManifest((await c.runAndReadAll(ROLLUP_MANIFEST_QUERY)).getRowObjectsJS() as Record<string, unknown>[]);
  const q = dashboardQueries('course-completion', [{ member, operator: 'inDateRange', values: [from, to] }]).find((t) => t.tile.id === tile)!.run;
  const compiled = compileQuery(q, { kind: 'tenant' }, duckdbDialect, { asOf: '2025-06-30', rollups: process.env.FACTS ? undefined : manifest });
  for (let i = 0; i < 2; i++) await c.runAndReadAll(compiled.sql, compiled.params as DuckDBValue[]);
  await c.run("pragma disable_profiling");
  const r = await c.runAndReadAll('explain analyze ' + compiled.sql, compiled.params as DuckDBValue[]);
  const text = String(r.getRows()[0][1]);
  const walk = (n: any, d: number) => { const t = n.operator_timing ?? n.timing ?? 0; if (t > 0.005 || d < 2) console.log(`${'  '.repeat(d)}${n.operator_name ?? n.name} ${(t * 1000).toFixed(0)} ms rows=${n.operator_cardinality ?? n.cardinality} ${JSON.stringify(n.extra_info ?? {}).slice(0, 120)}`); for (const ch of n.children ?? []) walk(ch, d + 1); };
  try { walk(JSON.parse(text), 0); } catch { console.log(text.slice(0, 3000)); }
}
main();
