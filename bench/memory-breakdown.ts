// Where a process's resident memory goes, for bench/gateway-memory: the kernel's view from outside
// (/proc/<pid>/smaps_rollup, and smaps summed per mapped file: the node binary, libduckdb and the
// DuckDB addon) and the process's own (V8's heap, from bench/memory-probe.cjs preloaded in it).
import fs from 'node:fs';

export interface MemoryBreakdown {
  rssKb: number;
  anonymousKb: number;
  fileKb: number;
  /** Resident KiB per mapped file of note (by its base name), and every other file together. */
  files: Record<string, number>;
  probe?: {
    /** Whether a full garbage collection ran just before (memoryBreakdown's `collect`). */
    collected: boolean;
    memoryUsage: NodeJS.MemoryUsage;
    heapSpaces: { name: string; size: number; used: number }[];
    modules: number;
    packages: Record<string, number>;
    duckdbBindings: boolean;
    databricksDriver: boolean;
  };
}

const NOTED_FILES = [/\/node$/, /libduckdb\.so$/, /duckdb\.node$/];

function rollup(pid: number): { rss: number; anonymous: number } {
  const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss: kb('Rss'), anonymous: kb('Anonymous') };
}

function residentPerFile(pid: number): Record<string, number> {
  const files: Record<string, number> = {};
  let current: string | undefined;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      const file = header[1].startsWith('/') ? header[1].replace(/ \(deleted\)$/, '') : undefined;
      current = file === undefined ? undefined : NOTED_FILES.some((p) => p.test(file)) ? file.slice(file.lastIndexOf('/') + 1) : 'other files';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && current) files[current] = (files[current] ?? 0) + Number(rss[1]);
  }
  return files;
}

/**
 * Asks the probe in `pid` for its report (SIGUSR2) and reads the kernel's figures at the same time;
 * with `collect`, after a full garbage collection in it (so after the figures a bench reports).
 */
export async function memoryBreakdown(pid: number, probeFile: string, collect = false): Promise<MemoryBreakdown> {
  if (collect) fs.writeFileSync(`${probeFile}.gc`, '');
  else fs.rmSync(`${probeFile}.gc`, { force: true });
  const before = fs.existsSync(probeFile) ? fs.statSync(probeFile).mtimeMs : 0;
  process.kill(pid, 'SIGUSR2');
  let probe: MemoryBreakdown['probe'];
  for (let i = 0; i < 100 && !probe; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (fs.existsSync(probeFile) && fs.statSync(probeFile).mtimeMs !== before) probe = JSON.parse(fs.readFileSync(probeFile, 'utf8')) as MemoryBreakdown['probe'];
  }
  const { rss, anonymous } = rollup(pid);
  return { rssKb: rss, anonymousKb: anonymous, fileKb: rss - anonymous, files: residentPerFile(pid), probe };
}

const mibOf = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;
const mibOfBytes = (bytes: number) => mibOf(bytes / 1024);

export function printBreakdown(label: string, b: MemoryBreakdown): void {
  console.log(`${label}: RSS ${mibOf(b.rssKb)} = anonymous ${mibOf(b.anonymousKb)} + file pages ${mibOf(b.fileKb)}`);
  console.log(`  file pages by file: ${Object.entries(b.files).sort(([a], [z]) => a.localeCompare(z)).map(([file, kb]) => `${file} ${mibOf(kb)}`).join(', ')}`);
  if (!b.probe) {
    console.log('  (the probe did not answer: no V8 figures)');
    return;
  }
  const { memoryUsage: m, heapSpaces, modules, duckdbBindings, databricksDriver } = b.probe;
  console.log(`  V8 heap ${mibOfBytes(m.heapTotal)} (used ${mibOfBytes(m.heapUsed)}); external ${mibOfBytes(m.external)} (array buffers ${mibOfBytes(m.arrayBuffers)}); ${modules} modules loaded`);
  console.log(`  heap spaces: ${heapSpaces.filter((s) => s.size > 0).map((s) => `${s.name.replace(/_space$/, '')} ${mibOfBytes(s.size)}`).join(', ')}`);
  const top = Object.entries(b.probe.packages).sort(([, a], [, z]) => z - a).slice(0, 12);
  console.log(`  modules by package (most first): ${top.map(([name, n]) => `${name} ${n}`).join(', ')}`);
  console.log(`  DuckDB bindings loaded: ${duckdbBindings ? 'yes' : 'no'}; Databricks driver loaded: ${databricksDriver ? 'yes' : 'no'}`);
}
