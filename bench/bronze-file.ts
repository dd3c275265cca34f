// What bench/repeated-keys and bench/source-lines share: a kept tenant's bronze table (its Parquet
// files) opened in an in-memory DuckDB of the loader's threads and memory, with a scratch folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ALL_FILES, type SourceFileSpec } from '@kineo/contract';

export const RUNS = Number(process.env.KINEO_BENCH_RUNS ?? 3);
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export interface BronzeFile {
  spec: SourceFileSpec;
  /** The Parquet file, or the folder's files as a glob, for read_parquet. */
  files: string;
  connection: DuckDBConnection;
  /** A scratch folder, removed by close(). */
  work: string;
  close(): void;
}

/** `npm run bench:<name> -- <bronze table folder or .parquet file> <contract file name>`, opened; a usage error otherwise. */
export async function openBronzeFile(name: string): Promise<BronzeFile> {
  const [source, table] = process.argv.slice(2);
  const spec = ALL_FILES.find((s) => s.name === table);
  if (!source || !fs.existsSync(source) || !spec) {
    throw new Error(`usage: npm run bench:${name} -- <bronze table folder or .parquet file> <contract file name, e.g. scorm_tracks>`);
  }
  const files = fs.statSync(source).isDirectory() ? path.join(source, '*.parquet') : source;
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '4GB' });
  const connection = await instance.connect();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `kineo-bench-${name}-`));
  return {
    spec,
    files,
    connection,
    work,
    close: () => {
      connection.closeSync();
      instance.closeSync();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
