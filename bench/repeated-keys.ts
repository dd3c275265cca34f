// bench/repeated-keys: what the loader's check for a key a file repeats costs on a large file.
//
// The loader counts a file's distinct keys before writing it (libs/pipeline/src/ingest/duckdb-loader.ts)
// and runs the window that names the repeats only when there are some. This times that count on a
// kept bench tenant's bronze Parquet file (its rows as text, as the loader has them in `_load`), with
// the key as the loader writes it (numbers cast, text as written), beside two ways it could have been
// written, and beside writing the same rows to Parquet, which the loader does anyway.
//
//   npm run bench:repeated-keys -- <bronze table folder or .parquet> <contract file name, e.g. scorm_tracks>
import path from 'node:path';
import { keyValue } from '@kineo/pipeline';
import { duckdbDialect } from '@kineo/warehouse';
import { median, openBronzeFile, RUNS } from './bronze-file';

async function main() {
  const bronze = await openBronzeFile('repeated-keys');
  const { spec, files, connection, work } = bronze;
  const table = spec.name;
  try {
    const columns = spec.columns.map((c) => duckdbDialect.ident(c.name)).join(', ');
    await connection.run(`create temp table _load as select ${columns} from read_parquet(${duckdbDialect.literal(files)})`);
    const rows = Number((await connection.runAndReadAll('select count(*) from _load')).getRows()[0][0]);
    const hashed = (parts: string[]) => (parts.length === 1 ? parts[0] : `hash(${parts.join(', ')})`);
    const ident = (name: string) => duckdbDialect.ident(name);
    const numeric = (name: string) => ['id', 'int', 'code'].includes(spec.columns.find((c) => c.name === name)?.kind ?? '');
    const variants: [string, string][] = [
      ['numbers cast, text as written (the loader)', hashed(spec.key.map((k) => keyValue(spec, k, duckdbDialect)))],
      ['numbers trimmed, then cast', hashed(spec.key.map((k) => (numeric(k) ? `try_cast(trim(${ident(k)}) as bigint)` : ident(k))))],
      ['every column as raw text', hashed(spec.key.map(ident))],
    ];
    console.log(`${table}: ${rows.toLocaleString('en-GB')} rows, key (${spec.key.join(', ')}); DuckDB, 2 threads; medians of ${RUNS}`);
    for (const [name, key] of variants) {
      const times: number[] = [];
      let repeats = 0;
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        repeats = Number((await connection.runAndReadAll(`select count(${key}) - count(distinct ${key}) from _load`)).getRows()[0][0]);
        times.push(performance.now() - started);
      }
      console.log(`  count(key) - count(distinct key), ${name.padEnd(44)}${(median(times) / 1000).toFixed(2).padStart(7)} s   (${repeats} repeats)`);
    }
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await connection.run(`copy (select * from _load) to ${duckdbDialect.literal(path.join(work, `copy-${i}.parquet`))} (format parquet)`);
      times.push(performance.now() - started);
    }
    console.log(`  for scale: the same rows written to Parquet, as the loader writes them anyway ${(median(times) / 1000).toFixed(2).padStart(7)} s`);
  } finally {
    bronze.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
