// Preloaded into the Prisma CLI by migrateDatabase() (libs/db/src/migrate.ts).
//
// Prisma's WASM schema engine arms a 10-second timer around its work and leaves it running when the
// work ends, so `prisma migrate deploy` sat idle for 10 s after "All migrations have been successfully
// applied" before it exited (measured: 11.1 s a run against 0.4 s of work, on a database with nothing
// to apply). A timer armed by the engine (its stack runs through the WebAssembly module) is unref'd
// here: it still fires while the engine has work outstanding (an open query keeps the process up), but
// it no longer keeps a finished process alive.
'use strict';

const setTimeoutOriginal = globalThis.setTimeout;

globalThis.setTimeout = function setTimeout(callback, delay, ...args) {
  const timer = setTimeoutOriginal.call(this, callback, delay, ...args);
  if (delay >= 1000 && typeof timer?.unref === 'function' && /wasm-function/.test(new Error().stack ?? '')) timer.unref();
  return timer;
};
