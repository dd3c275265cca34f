import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startWorkerProcess as startWorker, stopProcess } from '@kineo/testkit';

const workerMain = path.join(__dirname, '..', '..', 'worker', 'dist', 'main.js');

/** The real worker, as the stack runs it, against the test's stack. */
export const startWorkerProcess = (env: Record<string, string>) => startWorker(workerMain, env);

export { stopProcess };

/** A worker's log as it comes: every line kept, and a wait for the first line (from now on) that matches. */
export interface WorkerLog {
  lines: string[];
  /** Resolves with the next line that satisfies `match`. */
  next(match: (line: string) => boolean): Promise<string>;
}

/** Follows a worker process's pino lines (its stdout). */
export function followLog(worker: ChildProcess, log: WorkerLog = { lines: [], next: () => Promise.reject(new Error('unused')) }): WorkerLog {
  const waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let pending = '';
  worker.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      log.lines.push(line);
      for (const waiter of [...waiters]) {
        if (!waiter.match(line)) continue;
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  log.next = (match) => new Promise((resolve) => waiters.push({ match, resolve }));
  return log;
}
