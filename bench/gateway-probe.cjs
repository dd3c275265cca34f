// bench/gateway-probe: preloaded into a gateway process by bench/gateway.ts (KINEO_BENCH_PROBE=1,
// `node --require`), never by the product. It records, per HTTP request, when each phase happened
// on the machine's monotonic clock (the clock process.hrtime reads, shared by every process, so the
// bench can line them up with its own timing): arrival, the request body read, each Postgres query
// and Redis command sent and answered, the reply's first write and its hand-over to the socket;
// and what else used the process meanwhile: garbage collections (PerformanceObserver 'gc'), timer
// callbacks, the process's CPU time, the main thread's wait for a CPU (/proc/self/task/<pid>/schedstat,
// time runnable but not running: the machine's load) and the event loop's busy share. One caller
// at a time (the bench's sequential rounds) makes each query and command belong to the request in
// flight. Everything is kept in memory and written as JSON lines to KINEO_BENCH_PROBE_OUT at exit.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const util = require('node:util');
const { performance, PerformanceObserver, constants } = require('node:perf_hooks');

const out = process.env.KINEO_BENCH_PROBE_OUT;
if (!out) throw new Error('gateway-probe: set KINEO_BENCH_PROBE_OUT to the file the records go to');

// performance.now() and PerformanceEntry.startTime count from timeOrigin; this puts them on hrtime's clock.
const originMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();
const mono = () => Number(process.hrtime.bigint()) / 1e6;

const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};
const gcs = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcs.push({ start: originMs + entry.startTime, ms: entry.duration, kind: GC_KINDS[entry.detail?.kind ?? entry.kind] ?? 'other' });
}).observe({ entryTypes: ['gc'] });

const schedstatFile = `/proc/self/task/${process.pid}/schedstat`;
/** [ns on a CPU, ns runnable and waiting for one] of the main thread. */
function schedstat() {
  try {
    const [run, wait] = fs.readFileSync(schedstatFile, 'utf8').split(' ');
    return [Number(run) / 1e6, Number(wait) / 1e6];
  } catch {
    return [0, 0];
  }
}

// KINEO_BENCH_PROBE_PROFILE=<folder>: from the first timed request on, a CPU profile and a sampled
// profile of every allocation (collected ones included: what the young generation fills with) of
// this process, written there at exit (<pid>.cpuprofile, <pid>.heapprofile; DevTools opens both).
const profileDir = process.env.KINEO_BENCH_PROBE_PROFILE;
let session = null;
function startProfiles() {
  if (!profileDir || session) return;
  const inspector = require('node:inspector');
  session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
function stopProfiles() {
  if (!session) return;
  // An in-process session answers synchronously.
  session.post('Profiler.stop', (error, result) => {
    if (!error) fs.writeFileSync(path.join(profileDir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (!error) fs.writeFileSync(path.join(profileDir, `${process.pid}.heapprofile`), JSON.stringify(result.profile));
  });
}

const records = [];
// V8's heap spaces at the first timed request and at exit: which space grew while the rounds ran.
const v8 = require('node:v8');
const spaces = () => Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_used_size / 1024)]));
let spacesAtStart = null;
let current = null;
const timers = [];

function event(kind, name, sent, done) {
  if (current) current.events.push({ kind, name, sent, done });
}

// Arrival and departure of each request, as the HTTP server sees them.
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function probedEmit(type, req, res) {
  if (type === 'request') {
    if (String(req.headers['x-request-id'] ?? '').startsWith('bench-')) {
      startProfiles();
      spacesAtStart ??= spaces();
    }
    const [run, wait] = schedstat();
    const record = {
      id: String(req.headers['x-request-id'] ?? ''),
      arrive: mono(),
      bodyEnd: 0,
      firstWrite: 0,
      end: 0,
      finish: 0,
      cpu: process.cpuUsage(),
      run,
      wait,
      elu: performance.eventLoopUtilization(),
      events: [],
    };
    current = record;
    req.once('end', () => (record.bodyEnd = mono()));
    const writeHead = res.writeHead;
    res.writeHead = function probedWriteHead(...args) {
      if (!record.firstWrite) record.firstWrite = mono();
      return writeHead.apply(this, args);
    };
    const end = res.end;
    res.end = function probedEnd(...args) {
      if (!record.end) record.end = mono();
      return end.apply(this, args);
    };
    res.once('finish', () => {
      record.finish = mono();
      const cpu = process.cpuUsage(record.cpu);
      const [run2, wait2] = schedstat();
      const elu = performance.eventLoopUtilization(record.elu);
      records.push({ ...record, cpu: (cpu.user + cpu.system) / 1000, run: run2 - run, wait: wait2 - wait, elu: elu.utilization });
      if (current === record) current = null;
    });
  }
  return emit.apply(this, arguments);
};

// Queries and commands from the gateway's own copies of pg and ioredis.
const gatewayRequire = require('node:module').createRequire(path.resolve(process.argv[1]));
function probe(moduleName, patch) {
  try {
    patch(gatewayRequire(moduleName));
  } catch (error) {
    process.stderr.write(`gateway-probe: ${moduleName} not probed: ${error.message}\n`);
  }
}
probe('pg', (pg) => {
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function probedQuery(config, values, callback) {
    const sent = mono();
    const name = typeof config === 'string' ? config.slice(0, 40) : String(config?.name ?? config?.text ?? '').slice(0, 40);
    const done = () => event('postgres', name, sent, mono());
    const cb = typeof callback === 'function' ? callback : typeof values === 'function' ? values : undefined;
    if (cb) {
      const wrapped = function (...args) {
        done();
        return cb.apply(this, args);
      };
      return cb === callback ? query.call(this, config, values, wrapped) : query.call(this, config, wrapped);
    }
    const result = query.apply(this, arguments);
    if (result && typeof result.then === 'function') result.then(done, done);
    return result;
  };
});
probe('ioredis', (ioredis) => {
  const Redis = ioredis.Redis ?? ioredis.default ?? ioredis;
  const sendCommand = Redis.prototype.sendCommand;
  Redis.prototype.sendCommand = function probedSendCommand(command, ...rest) {
    const sent = mono();
    const result = sendCommand.call(this, command, ...rest);
    if (current && command?.promise) command.promise.then(() => event('redis', command.name, sent, mono()), () => event('redis', command.name, sent, mono()));
    return result;
  };
});

// Timer callbacks that ran, how long, and whether a request was in flight.
function wrapTimer(name) {
  const original = globalThis[name];
  globalThis[name] = function probedTimer(fn, ...rest) {
    if (typeof fn !== 'function') return original.call(this, fn, ...rest);
    const wrapped = function (...args) {
      const start = mono();
      try {
        return fn.apply(this, args);
      } finally {
        const end = mono();
        if (end - start >= 0.05) timers.push({ start, ms: end - start, what: `${name}:${fn.name || fn.toString().slice(0, 60).replace(/\s+/g, ' ')}` });
      }
    };
    return original.call(this, wrapped, ...rest);
  };
  // util.promisify(setTimeout) and friends keep working.
  globalThis[name][util.promisify.custom] = original[util.promisify.custom];
}
wrapTimer('setTimeout');
wrapTimer('setInterval');

process.on('exit', () => {
  stopProfiles();
  const lines = [
    ...records.map((r) => JSON.stringify({ type: 'request', ...r })),
    ...gcs.map((g) => JSON.stringify({ type: 'gc', ...g })),
    ...timers.map((t) => JSON.stringify({ type: 'timer', ...t })),
    JSON.stringify({ type: 'heap-spaces-kib', atFirstTimedRequest: spacesAtStart, atExit: spaces() }),
  ];
  fs.writeFileSync(out, lines.join('\n') + '\n');
});
