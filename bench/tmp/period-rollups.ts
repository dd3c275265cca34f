import fs from 'node:fs';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { compileQuery, dashboardQueries, parseRollupManifest, ROLLUP_MANIFEST_QUERY, rollupRefreshStatements, staleRollups, type AnalyticsFilter } from '@kineo/analytics';
import { duckdbDialect } from '@kineo/warehouse';

const [src, asOf] = process.argv.slice(2);
const copy = '/tmp/period-rollups.duckdb';
const ranges: [string, string][] = [['2024-06-16', '2025-06-15'], ['2024-07-01', '2025-06-30'], ['2025-05-17', '2025-06-15']];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = (r: { getRowObjectsJS(): Record<string, unknown>[] }) => JSON.parse(JSON.stringify(r.getRowObjectsJS(), (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));

async function main() {
  if (!fs.existsSync(copy)) {
    fs.copyFileSync(src, copy);
    const w = await DuckDBInstance.create(copy, { threads: '2', memory_limit: '4GB' });
    const c = await w.connect();
    const manifest = parseRollupManifest(rows(await c.runAndReadAll(ROLLUP_MANIFEST_QUERY)));
    const stale = staleRollups(manifest, duckdbDialect).filter((id) => id.startsWith('CourseProgress.'));
    console.log('stale', stale);
    for (const sql of rollupRefreshStatements(duckdbDialect, asOf, stale)) {
      const t = performance.now();
      await c.run(sql);
      console.log(`${sql.slice(0, 80)} ${(performance.now() - t).toFixed(0)} ms`);
    }
    await c.run('checkpoint');
    c.closeSync();
    w.closeSync();
  }
  const instance = await DuckDBInstance.create(copy, { threads: '2', memory_limit: '2GB', access_mode: 'READ_ONLY' });
  const connections: DuckDBConnection[] = [];
  for (let i = 0; i < 8; i++) connections.push(await instance.connect());
  const manifest = parseRollupManifest(rows(await connections[0].runAndReadAll(ROLLUP_MANIFEST_QUERY)));
  for (const t of manifest.filter((m) => /Month$/.test(m.rollup))) console.log(`${t.rollup}: ${t.rows} rows`);
  for (const member of ['CourseProgress.enrolledDate', 'CourseProgress.completedDate']) {
    for (const [from, to] of ranges) {
      const filters: AnalyticsFilter[] = [{ member, operator: 'inDateRange', values: [from, to] }];
      const tiles = dashboardQueries('course-completion', filters);
      const line: string[] = [];
      for (const rollups of [undefined, manifest]) {
        const compiled = tiles.map(({ run }) => compileQuery(run, { kind: 'tenant' }, duckdbDialect, { asOf, rollups }));
        const each = compiled.map(() => [] as number[]);
        const whole: number[] = [];
        for (let i = 0; i < 4; i++) {
          const started = performance.now();
          const each1 = async (c: (typeof compiled)[number], k: number) => {
            const t = performance.now();
            await connections[k].runAndReadAll(c.sql, c.params as DuckDBValue[]);
            if (i) each[k].push(performance.now() - t);
          };
          if (process.env.SEQ) for (const [k, c] of compiled.entries()) await each1(c, k);
          else await Promise.all(compiled.map(each1));
          if (i) whole.push(performance.now() - started);
        }
        line.push(`${rollups ? 'rollups' : 'facts  '} ${median(whole).toFixed(0).padStart(5)} ms [${compiled.map((c, k) => `${tiles[k].tile.id}${c.rollup ? '*' : ''} ${median(each[k]).toFixed(0)}`).join(', ')}]`);
      }
      console.log(`${member.split('.')[1]} ${from}..${to}\n  ${line.join('\n  ')}`);
    }
  }
}
main();
