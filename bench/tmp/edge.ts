import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { compileQuery, dashboardQueries, parseRollupManifest, ROLLUP_MANIFEST_QUERY } from '@kineo/analytics';
import { duckdbDialect } from '@kineo/warehouse';
async function main() {
  const instance = await DuckDBInstance.create('/tmp/period-rollups.duckdb', { threads: '2', memory_limit: '2GB', access_mode: 'READ_ONLY' });
  const c = await instance.connect();
  const manifest = parseRollupManifest((await c.runAndReadAll(ROLLUP_MANIFEST_QUERY)).getRowObjectsJS() as Record<string, unknown>[]);
  const q = dashboardQueries('course-completion', [{ member: 'CourseProgress.enrolledDate', operator: 'inDateRange', values: ['2025-05-17', '2025-06-15'] }]).find((t) => t.tile.id === 'by-organisation')!.run;
  const compiled = compileQuery(q, { kind: 'tenant' }, duckdbDialect, { asOf: '2025-06-30', rollups: manifest });
  const facts = compileQuery(q, { kind: 'tenant' }, duckdbDialect, { asOf: '2025-06-30' });
  const variants: Record<string, { sql: string; params: unknown[] }> = {
    facts,
    union_or: compiled,
    union_single: { sql: compiled.sql.replace(/\(f\.enrolled_date_key between \? and \? or f\.enrolled_date_key between \? and \?\)/, '(f.enrolled_date_key between ? and ?)'), params: [20250517, 20250615, ...compiled.params.slice(4)] },
  };
  for (const [name, v] of Object.entries(variants)) {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) { const t = performance.now(); await c.runAndReadAll(v.sql, v.params as DuckDBValue[]); if (i) times.push(performance.now() - t); }
    times.sort((a, b) => a - b);
    console.log(name, times.map((t) => t.toFixed(0)).join(' '));
  }
  if (process.env.PLAN) { const r = await c.runAndReadAll('explain analyze ' + compiled.sql, compiled.params as DuckDBValue[]); console.log(r.getRows().map((x) => x[1]).join('\n')); }
}
main();
