import { DuckDBInstance } from '@duckdb/node-api';
async function main() {
  const instance = await DuckDBInstance.create(process.argv[2], { threads: '2', access_mode: 'READ_ONLY' });
  const c = await instance.connect();
  for (const sql of process.argv.slice(3)) {
    const t = performance.now();
    const r = await c.runAndReadAll(sql);
    console.log(JSON.stringify(r.getRowObjectsJS(), (_k, v) => (typeof v === 'bigint' ? Number(v) : v)), `${(performance.now() - t).toFixed(0)} ms`);
  }
}
main();
