import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startWorkerProcess as startWorker, stopProcess } from '@kineo/testkit';

const workerMain = path.join(__dirname, '..', '..', 'worker', 'dist', 'main.js');

/** The real worker, as the stack runs it, against the test's stack. */
export const startWorkerProcess = (env: Record<string, string>, onOutput?: (chunk: string) => void) => startWorker(workerMain, env, onOutput);

export { stopProcess };

/**
 * The real worker with every log line it prints from its start (`startWorkerProcess` keeps only
 * what comes after "worker ready"): a job it takes at once is in the log too.
 */
export async function startFollowedWorker(env: Record<string, string>): Promise<{ worker: ChildProcess; log: ProcessLog }> {
  const worker = spawn(process.execPath, [workerMain], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const log = followLog(worker);
  const exited = exitOf(worker).then((exit) => {
    throw new Error(`worker exited (${JSON.stringify(exit)}) before it was ready`);
  });
  await Promise.race([log.waitFor((l) => l.msg === 'worker ready'), exited]);
  exited.catch(() => undefined);
  return { worker, log };
}

export type LogLine = Record<string, unknown> & { msg?: string };

/** A process's pino lines (JSON on stdout) as they come, for waiting on one and asserting their order. */
export interface ProcessLog {
  lines: LogLine[];
  /** The first line (already seen or still to come) that matches. */
  waitFor(match: (line: LogLine) => boolean): Promise<LogLine>;
  /** The first line from now on that matches: what an action about to be taken will log. */
  next(match: (line: LogLine) => boolean): Promise<LogLine>;
  /** Where the first matching line is in `lines` (-1 when none). */
  indexOf(match: (line: LogLine) => boolean): number;
}

/** Follows a process's pino lines; a line that is not JSON is kept as `{ msg: <its text> }`. */
export function followLog(child: ChildProcess): ProcessLog {
  const lines: LogLine[] = [];
  const waiting: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split('\n');
    pending = complete.pop()!;
    for (const text of complete) {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      if (process.env.KINEO_FAULTS_ECHO_LOGS) process.stderr.write(`[pid ${child.pid}] ${text}\n`);
      for (const w of [...waiting]) {
        if (w.match(line)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const next = (match: (line: LogLine) => boolean) => new Promise<LogLine>((resolve) => waiting.push({ match, resolve }));
  return {
    lines,
    waitFor: (match) => {
      const seen = lines.find(match);
      return seen ? Promise.resolve(seen) : next(match);
    },
    next,
    indexOf: (match) => lines.findIndex(match),
  };
}

/** How a child process ended: its code, or the signal that ended it. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
