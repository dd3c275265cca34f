// bench/gateway-tail: where the slowest cached requests' time went, from the client's own timing
// and the gateway's probe records (bench/gateway-probe.cjs), all on the machine's monotonic clock.
import fs from 'node:fs';
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

/** One request as the bench client saw it (ms on process.hrtime's clock). */
export interface ClientSample {
  id: string;
  dashboard: string;
  start: number;
  end: number;
  /** The client's main thread waiting for a CPU across the request (ms). */
  wait: number;
}

interface ProbeEvent {
  kind: 'postgres' | 'redis';
  name: string;
  sent: number;
  done: number;
}
interface ProbeRequest {
  type: 'request';
  id: string;
  arrive: number;
  bodyEnd: number;
  firstWrite: number;
  end: number;
  finish: number;
  cpu: number;
  run: number;
  wait: number;
  elu: number;
  events: ProbeEvent[];
}
export interface Interval {
  start: number;
  ms: number;
  kind?: string;
  what?: string;
}

export const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

/** [ms on a CPU, ms waiting for one] of this process's main thread, or zeros where /proc has none. */
export function schedstat(): [number, number] {
  try {
    const [run, wait] = fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return [Number(run) / 1e6, Number(wait) / 1e6];
  } catch {
    return [0, 0];
  }
}

/**
 * A young-generation collection of the bench process, run before a timed request, outside its clock.
 * The bench parses every answer after its clock stopped (my-team's is 340 KiB), and that garbage was
 * collected inside a later request's timing: a client's pause counted as the gateway's
 * (KINEO_BENCH_CLIENT_GC=off leaves it so, to compare).
 */
export function clientGarbageCollector(): () => void {
  if (process.env.KINEO_BENCH_CLIENT_GC === 'off') return () => {};
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
  return () => gc({ type: 'minor' });
}

/** The bench process's own garbage collections, on the monotonic clock. */
export function observeClientGc(): { gcs: Interval[]; stop(): void } {
  const originMs = monotonicMs() - performance.now();
  const gcs: Interval[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      gcs.push({ start: originMs + entry.startTime, ms: entry.duration, kind: kind === constants.NODE_PERFORMANCE_GC_MINOR ? 'scavenge' : 'mark-compact' });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return { gcs, stop: () => observer.disconnect() };
}

/** How much of [from, to] the intervals cover (ms). */
function within(intervals: Interval[], from: number, to: number): number {
  let sum = 0;
  for (const i of intervals) sum += Math.max(0, Math.min(to, i.start + i.ms) - Math.max(from, i.start));
  return sum;
}

/** The union of [sent, done] spans (ms): time something of that kind was outstanding. */
function outstanding(events: ProbeEvent[]): number {
  const spans = events.map((e) => [e.sent, e.done]).sort((a, b) => a[0] - b[0]);
  if (spans.length === 0) return 0;
  let sum = 0;
  let [from, to] = spans[0];
  for (const [s, d] of spans.slice(1)) {
    if (s > to) {
      sum += to - from;
      [from, to] = [s, d];
    } else to = Math.max(to, d);
  }
  return sum + to - from;
}

const COLUMNS = [
  ['total', 'the client waited (request sent to whole reply read)'],
  ['toArrive', 'client start to the gateway seeing the request'],
  ['toBody', 'arrival to the body read'],
  ['pgSent', 'arrival to the session check sent to Postgres'],
  ['redisSent', 'arrival to the first Redis command sent'],
  ['redisDone', 'arrival to the last Redis answer'],
  ['pgDone', 'arrival to the session check answered'],
  ['toReply', 'arrival to the reply\'s first write'],
  ['writing', 'first write to the reply\'s end() call'],
  ['afterEnd', 'end() called to the client having read it all'],
  ['postgres', 'a Postgres query outstanding'],
  ['redis', 'a Redis command outstanding'],
  ['pgAfterRedis', 'Postgres answered after Redis (the session check last)'],
  ['cpu', 'the gateway\'s CPU time (all threads)'],
  ['gwRun', 'the gateway\'s main thread on a CPU'],
  ['gwWait', 'the gateway\'s main thread runnable but off CPU'],
  ['gwGc', 'gateway GC while the client waited'],
  ['gwTimers', 'gateway timer callbacks while the client waited'],
  ['clWait', 'the client\'s main thread runnable but off CPU'],
  ['clGc', 'client GC inside the request'],
] as const;
type Row = Record<(typeof COLUMNS)[number][0], number> & { id: string; dashboard: string; gcKinds: string; clientGcKinds: string };

/** Per request: the client's total split into phases and what else used the processes meanwhile; and the gateway's collections over the timed rounds. */
export function attribute(samples: ClientSample[], probeFile: string, clientGcs: Interval[]): { rows: Row[]; gcs: Interval[] } {
  const lines = fs.readFileSync(probeFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string } & Record<string, unknown>);
  const requests = new Map(lines.filter((l) => l.type === 'request').map((l) => [String(l.id), l as unknown as ProbeRequest]));
  const gcs = lines.filter((l) => l.type === 'gc') as unknown as Interval[];
  const timers = lines.filter((l) => l.type === 'timer') as unknown as Interval[];
  const rows: Row[] = [];
  for (const s of samples) {
    const r = requests.get(s.id);
    if (!r) continue;
    const pg = r.events.filter((e) => e.kind === 'postgres');
    const redis = r.events.filter((e) => e.kind === 'redis');
    const lastPg = Math.max(0, ...pg.map((e) => e.done));
    const lastRedis = Math.max(0, ...redis.map((e) => e.done));
    const gcInside = gcs.filter((g) => g.start < s.end && g.start + g.ms > s.start);
    rows.push({
      id: s.id,
      dashboard: s.dashboard,
      total: s.end - s.start,
      toArrive: r.arrive - s.start,
      toBody: r.bodyEnd ? r.bodyEnd - r.arrive : 0,
      pgSent: pg.length ? Math.min(...pg.map((e) => e.sent)) - r.arrive : 0,
      redisSent: redis.length ? Math.min(...redis.map((e) => e.sent)) - r.arrive : 0,
      redisDone: lastRedis ? lastRedis - r.arrive : 0,
      pgDone: lastPg ? lastPg - r.arrive : 0,
      toReply: r.firstWrite - r.arrive,
      writing: r.end - r.firstWrite,
      afterEnd: s.end - r.end,
      postgres: outstanding(pg),
      redis: outstanding(redis),
      pgAfterRedis: lastPg && lastRedis ? Math.max(0, lastPg - lastRedis) : 0,
      cpu: r.cpu,
      gwRun: r.run,
      gwWait: r.wait,
      gwGc: within(gcs, s.start, s.end),
      gwTimers: within(timers, s.start, s.end),
      clWait: s.wait,
      clGc: within(clientGcs, s.start, s.end),
      gcKinds: [...new Set(gcInside.map((g) => g.kind))].join('+'),
      clientGcKinds: [...new Set(clientGcs.filter((g) => g.start < s.end && g.start + g.ms > s.start).map((g) => g.kind))].join('+'),
    });
  }
  const from = Math.min(...samples.map((s) => s.start));
  const to = Math.max(...samples.map((s) => s.end));
  return { rows, gcs: gcs.filter((g) => g.start >= from && g.start <= to) };
}

const avg = (rows: Row[], key: (typeof COLUMNS)[number][0]) => rows.reduce((n, r) => n + r[key], 0) / Math.max(1, rows.length);
const share = (rows: Row[], test: (r: Row) => boolean) => `${((100 * rows.filter(test).length) / Math.max(1, rows.length)).toFixed(0)} %`;

/** The slowest 5 % against the middle of the distribution, column by column, then the slowest requests one by one. */
export function tailReport(label: string, { rows, gcs }: { rows: Row[]; gcs: Interval[] }, slowest = 12): string[] {
  const sorted = [...rows].sort((a, b) => a.total - b.total);
  const tail = sorted.slice(Math.floor(sorted.length * 0.95));
  const middle = sorted.slice(Math.floor(sorted.length * 0.25), Math.ceil(sorted.length * 0.75));
  const out = [`${label}: ${rows.length} requests probed; mean ms of the middle half (p25-p75) against the slowest 5 % (${tail.length})`];
  for (const [key, what] of COLUMNS) out.push(`  ${key.padEnd(13)}${avg(middle, key).toFixed(2).padStart(8)}${avg(tail, key).toFixed(2).padStart(9)}   ${what}`);
  const tests: [string, (r: Row) => boolean][] = [
    ['a gateway GC inside', (r) => r.gwGc > 0],
    ['a client GC inside', (r) => r.clGc > 0],
    ['gateway off CPU > 1 ms while runnable', (r) => r.gwWait > 1],
    ['client off CPU > 1 ms while runnable', (r) => r.clWait > 1],
    ['the session check answered after Redis', (r) => r.pgAfterRedis > 0],
    ['a gateway timer callback inside', (r) => r.gwTimers > 0],
  ];
  out.push(`  requests with ...${' '.repeat(31)}all     slowest 5 %`);
  for (const [what, test] of tests) out.push(`  ${what.padEnd(48)}${share(rows, test).padStart(5)}${share(tail, test).padStart(10)}`);
  for (const kind of [...new Set(gcs.map((g) => g.kind))]) {
    const times = gcs.filter((g) => g.kind === kind).map((g) => g.ms).sort((a, b) => a - b);
    const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
    out.push(`  gateway ${kind}: ${times.length} over the timed rounds (one per ${(rows.length / times.length).toFixed(0)} requests), p50 ${at(0.5)} ms, max ${at(1)} ms`);
  }
  out.push(`  the ${slowest} slowest: total = to arrive + to reply + writing + after end() | from arrival: pg sent/answered, redis sent/answered | cpu, gateway off-CPU, gateway GC (kind), client off-CPU, client GC`);
  for (const r of sorted.slice(-slowest).reverse()) {
    const f = (n: number) => n.toFixed(1);
    out.push(
      `  ${f(r.total).padStart(6)} = ${f(r.toArrive)} + ${f(r.toReply)} + ${f(r.writing)} + ${f(r.afterEnd)} | pg ${f(r.pgSent)}/${f(r.pgDone)}, redis ${f(r.redisSent)}/${f(r.redisDone)} | cpu ${f(r.cpu)}, off ${f(r.gwWait)}, gc ${f(r.gwGc)}${r.gcKinds ? ` (${r.gcKinds})` : ''}, client off ${f(r.clWait)}, client gc ${f(r.clGc)}${r.clientGcKinds ? ` (${r.clientGcKinds})` : ''}  ${r.dashboard}`,
    );
  }
  return out;
}
