import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Waits until `check` gives a value, giving up (well inside the test's time limit) with what it last
 * saw, so a failure says why. Only decides when to stop waiting, never whether the test passes.
 */
export async function until<T>(check: () => Promise<T | undefined>, what: string, seen: () => unknown, giveUpMs = 90_000): Promise<T> {
  const giveUpAt = Date.now() + giveUpMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what}; last seen: ${JSON.stringify(seen(), null, 1)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  output: () => string;
  /** Its JSON log lines so far. */
  lines: () => Record<string, unknown>[];
  /** Resolves once it said it is ready (throws with its output if it does not). */
  ready: () => Promise<void>;
  /** SIGTERM, and waits for it to exit. */
  stop: () => Promise<void>;
}

/** The built worker (`dist/main.js`) as its own process, as deployed, with `env` over the test's. */
export function spawnWorkerMain(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'main.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return {
    child,
    output: () => out,
    lines: () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
    ready: () => until(async () => (out.includes('"msg":"worker ready"') ? true : undefined), 'the worker to be ready', () => out).then(() => undefined),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
