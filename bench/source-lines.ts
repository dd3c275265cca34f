// bench/source-lines: what the loaders' check for records that span lines costs on a large file.
//
// The loaders number a record by the physical line it starts on (libs/pipeline/src/ingest). Only a
// file with a quoted line break or a blank line pays for shifting the later records. Every file
// pays for the first check: its lines are counted, and its blank lines listed, in the read that
// hashes it (ingest.ts), and a file of the header and one line per record (blank lines aside) needs
// nothing more. A file with more lines pays for the second check, a parallel scan for rows with an
// LF in a field (DuckDB). This times, on a kept bench tenant's bronze Parquet file (its rows as
// text, as the loader has them in `_load`), written out as CSV for the first: the hash alone, the
// hash and line count as it was before blank lines were listed, and as it is, on the file and on
// copies with blank lines (with the walk that numbers the records past them); the second check
// beside two other spellings of it and beside the count of repeated keys every file pays for
// (bench/repeated-keys.ts); for scale, a running sum over every row in file order (numbering every
// file by lines without a check) and writing the rows to Parquet, which the loader does anyway.
//
//   npm run bench:source-lines -- <bronze table folder or .parquet> <contract file name, e.g. scorm_tracks>
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashAndCountLines, keyValue, lineBreakCheck, shiftsPastBlankLines } from '@kineo/pipeline';
import { duckdbDialect } from '@kineo/warehouse';
import { median, openBronzeFile, RUNS } from './bronze-file';

async function main() {
  const bronze = await openBronzeFile('source-lines');
  const { spec, files, connection, work } = bronze;
  const table = spec.name;
  try {
    const names = spec.columns.map((c) => c.name);
    const ident = (name: string) => duckdbDialect.ident(name);
    await connection.run(`create temp table _load as select ${names.map(ident).join(', ')} from read_parquet(${duckdbDialect.literal(files)})`);
    const rows = Number((await connection.runAndReadAll('select count(*) from _load')).getRows()[0][0]);
    // Wall time, and the CPU time of DuckDB's threads (they run in this process), which a busy
    // machine disturbs less.
    const time = async (run: (i: number) => Promise<string>) => {
      const walls: number[] = [];
      const cpus: number[] = [];
      let answer = '';
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        const cpu = process.cpuUsage();
        answer = await run(i);
        const used = process.cpuUsage(cpu);
        walls.push(performance.now() - started);
        cpus.push((used.user + used.system) / 1000);
      }
      const s = (ms: number) => (ms / 1000).toFixed(2).padStart(7);
      return { seconds: `${s(median(walls))} s, CPU ${s(median(cpus))} s`, answer };
    };
    const count = (sql: string) => time(async () => String((await connection.runAndReadAll(sql)).getRows()[0]?.[0]));
    console.log(`${table}: ${rows.toLocaleString('en-GB')} rows, ${names.length} columns; DuckDB, 2 threads; medians of ${RUNS}; load average ${os.loadavg()[0].toFixed(1)}`);
    const joined = `concat_ws('', ${names.map(ident).join(', ')})`;
    const keys = spec.key.map((k) => keyValue(spec, k, duckdbDialect));
    const key = keys.length === 1 ? keys[0] : `hash(${keys.join(', ')})`;
    const csv = path.join(work, `${table}.csv`);
    await connection.run(`copy _load to ${duckdbDialect.literal(csv)} (format csv, header true)`);
    const hashOnly = (file: string) =>
      new Promise<string>((resolve, reject) => {
        const hash = crypto.createHash('sha256');
        fs.createReadStream(file, { highWaterMark: 1 << 20 })
          .on('data', (d) => hash.update(d))
          .on('error', reject)
          .on('end', () => resolve(hash.digest('hex')));
      });
    console.log(`  the file as CSV: ${(fs.statSync(csv).size / 1e9).toFixed(2)} GB`);
    const hashed = await time(async () => (await hashOnly(csv)).slice(0, 8));
    console.log(`  ${'SHA-256 of the file (before)'.padEnd(50)}${hashed.seconds}`);
    const counted = async (file: string) => {
      const { lines, blankLines } = await hashAndCountLines(file);
      return `${lines.toLocaleString('en-GB')} lines, ${blankLines.length.toLocaleString('en-GB')} blank`;
    };
    // The loaders' read before blank lines were listed: the hash and a count of LFs.
    const linesOnly = (file: string) =>
      new Promise<string>((resolve, reject) => {
        const hash = crypto.createHash('sha256');
        let lines = 0;
        fs.createReadStream(file, { highWaterMark: 1 << 20 })
          .on('data', (d) => {
            const chunk = d as Buffer;
            hash.update(chunk);
            for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) lines++;
          })
          .on('error', reject)
          .on('end', () => resolve(`${lines.toLocaleString('en-GB')} lines`));
      });
    const hashedAndLines = await time(() => linesOnly(csv));
    console.log(`  ${'SHA-256 and its lines in one read (before)'.padEnd(50)}${hashedAndLines.seconds}   (${hashedAndLines.answer})`);
    const hashedAndCounted = await time(() => counted(csv));
    console.log(`  ${'SHA-256, its lines and blank ones in one read'.padEnd(50)}${hashedAndCounted.seconds}   (${hashedAndCounted.answer})`);
    // The same file with blank lines: one after every 100,000th record (a few places where the
    // numbering shifts), and one after every record (the most a file can have), hashed and counted,
    // and the walk that numbers the records past them (Node; the loaders' only other cost for a file
    // whose records take one line each is the CASE or the asof join that applies it).
    for (const every of [100_000, 1]) {
      const spaced = path.join(work, `${table}-spaced.csv`);
      await withBlankLines(csv, spaced, every);
      const hashedSpaced = await time(() => counted(spaced));
      console.log(`  ${`the same, a blank line after every ${every === 1 ? '' : `${every.toLocaleString('en-GB')}th `}record`.padEnd(50)}${hashedSpaced.seconds}   (${hashedSpaced.answer})`);
      const { blankLines } = await hashAndCountLines(spaced);
      fs.rmSync(spaced);
      const walked = await time(async () => `${shiftsPastBlankLines(blankLines, [], []).acceptedBefore.length.toLocaleString('en-GB')} places`);
      console.log(`  ${'  the walk past them'.padEnd(50)}${walked.seconds}   (${walked.answer})`);
    }
    fs.rmSync(csv);
    const variants: [string, string][] = [
      ['rows with LF, column by column (the loader)', `select count(*) from _load where ${lineBreakCheck(names, duckdbDialect)}`],
      ['rows with LF or CR, column by column', `select count(*) from _load where ${names.map((n) => `contains(${ident(n)}, chr(10)) or contains(${ident(n)}, chr(13))`).join(' or ')}`],
      ['rows with LF, the columns joined', `select count(*) from _load where contains(${joined}, chr(10))`],
      // The loader's count of rows and repeated keys, as one number (rows + repeats).
      ['for scale: rows + repeated keys (every file)', `select count(*) + count(${key}) - count(distinct ${key}) from _load`],
    ];
    for (const [name, sql] of variants) {
      const { seconds, answer } = await count(sql);
      console.log(`  ${name.padEnd(50)}${seconds}   (${answer})`);
    }
    // What a file with line breaks would pay on top if the sum ran over every row in file order.
    const { seconds: summed } = await count(`select max(s) from (select sum(length(${ident(names[0])})) over (order by rowid rows unbounded preceding) as s from _load)`);
    console.log(`  ${'for scale: a running sum in file order'.padEnd(50)}${summed}`);
    const { seconds: written } = await time(async (i) => {
      await connection.run(`copy (select * from _load) to ${duckdbDialect.literal(path.join(work, `copy-${i}.parquet`))} (format parquet)`);
      return '';
    });
    console.log(`  ${'for scale: the rows written to Parquet'.padEnd(50)}${written}`);
  } finally {
    bronze.close();
  }
}

/** Copies `from` to `to` with a blank line after every `every`-th record (the header is not one). */
function withBlankLines(from: string, to: string, every: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(to);
    let seen = -1;
    const input = fs.createReadStream(from, { highWaterMark: 1 << 20 });
    input
      .on('data', (data) => {
        const chunk = data as Buffer;
        const parts: Buffer[] = [];
        let start = 0;
        for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) {
          if (++seen > 0 && seen % every === 0) {
            parts.push(chunk.subarray(start, at + 1), Buffer.from('\n'));
            start = at + 1;
          }
        }
        parts.push(chunk.subarray(start));
        if (!out.write(Buffer.concat(parts))) {
          input.pause();
          out.once('drain', () => input.resume());
        }
      })
      .on('error', reject)
      .on('end', () => out.end(() => resolve()));
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
