// What still holds a Jest run open after its summary, and what created it. A diagnostic preload,
// never loaded by the product or by `npm test`:
//
//   cd apps/gateway && NODE_OPTIONS="--experimental-vm-modules --require ../../scripts/lingering-handles.cjs" npx jest
//
// Once Jest prints "Ran all test suites", it lists every handle and timer that still keeps the
// event loop alive, with the stack that created it, then again every 500 ms until the process
// exits, and finally how long after the summary the exit came. Unlike `--detectOpenHandles`, it
// asks Node what is referenced: Jest's hook cannot tell that a native addon's thread-safe function
// is unref'd (DuckDB's `DuckDBNapiRefReaper`), so it reports one that never holds the process.
// Jest must run in band (the default on 2 cores, or --runInBand) for test files' handles to be here.
const asyncHooks = require('node:async_hooks');

// Short-lived requests and promises: never what holds a process after its work is done.
const SKIP = new Set(['PROMISE', 'FSREQCALLBACK', 'FSREQPROMISE', 'GETADDRINFOREQWRAP', 'WRITEWRAP', 'SHUTDOWNWRAP', 'TickObject', 'Immediate', 'Microtask']);
const createdBy = new WeakMap();
// Node lists sockets, servers and child processes, but not timers: those are followed here.
const timers = new Set();
let recording = true;

asyncHooks
  .createHook({
    init(_id, type, _trigger, resource) {
      if (!recording || SKIP.has(type)) return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 40;
      const trace = {};
      Error.captureStackTrace(trace);
      Error.stackTraceLimit = limit;
      const frames = trace.stack.split('\n').slice(2).filter((line) => !line.includes('node:internal'));
      createdBy.set(resource, `${type}\n${frames.slice(0, 25).join('\n')}`);
      if (type === 'Timeout') {
        timers.add(new WeakRef(resource));
        if (timers.size > 20_000) forgetEndedTimers();
      }
    },
  })
  .enable();

function forgetEndedTimers() {
  for (const ref of timers) {
    const timer = ref.deref();
    if (!timer || timer._destroyed) timers.delete(ref);
  }
}

function describe(handle) {
  const kind = handle?.constructor?.name;
  let detail = '';
  if (kind === 'Socket') detail = ` local port ${handle.localPort}, remote ${handle.remoteAddress}:${handle.remotePort}, destroyed ${handle.destroyed}`;
  if (kind === 'Timeout') detail = ` ${handle._idleTimeout} ms${handle._repeat ? ' repeating' : ''}: ${String(handle._onTimeout).slice(0, 160).replace(/\s+/g, ' ')}`;
  if (kind === 'ChildProcess') detail = ` pid ${handle.pid}: ${(handle.spawnargs ?? []).join(' ').slice(0, 200)}`;
  if (kind === 'Server') detail = ` ${JSON.stringify(handle.address?.())}`;
  const stack = createdBy.get(handle) ?? createdBy.get(handle?._handle) ?? '(created before this preload)';
  return `${kind}${detail}\n      ${stack.replace(/\n/g, '\n      ')}`;
}

let summaryAt = 0;

function report(label) {
  const std = new Set([process.stdin, process.stdout, process.stderr]);
  const held = process._getActiveHandles().filter((h) => !std.has(h) && (typeof h.hasRef !== 'function' || h.hasRef()));
  forgetEndedTimers();
  for (const ref of timers) {
    const timer = ref.deref();
    if (timer?.hasRef()) held.push(timer);
  }
  process.stderr.write(`\n[lingering-handles +${Date.now() - summaryAt} ms, ${label}] ${held.length} holding the process; resources ${JSON.stringify(process.getActiveResourcesInfo())}\n`);
  for (const handle of held) process.stderr.write(`  - ${describe(handle)}\n`);
}

for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    if (!summaryAt && String(chunk).includes('Ran all test suites')) {
      summaryAt = Date.now();
      setImmediate(() => {
        recording = false;
        report('after the summary');
        setInterval(() => report('still running'), 500).unref();
      });
    }
    return write(chunk, ...rest);
  };
}

process.on('exit', () => {
  if (summaryAt) process.stderr.write(`[lingering-handles] exited ${Date.now() - summaryAt} ms after the summary\n`);
});
