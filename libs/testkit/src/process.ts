import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The real worker (its built `dist/main.js`), as the stack runs it, against a test's stack; resolves
 * once it says it is ready.
 */
export async function startWorkerProcess(workerMain: string, env: Record<string, string>, onOutput?: (chunk: string) => void): Promise<ChildProcess> {
  const child = spawn(process.execPath, [workerMain], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  // Every log line from the first, for tests that search the worker's log.
  if (onOutput) child.stdout.on('data', (d: Buffer) => onOutput(d.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('worker ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${out}`)));
  });
  child.removeAllListeners('exit');
  child.stdout.resume();
  return child;
}

export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

export interface ProgramResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion and collects what it printed. Only PATH and HOME come from this
 * process's environment, besides `env`: a test states every setting the program sees, as a person
 * typing the command with those variables would. `input` is written to its standard input.
 */
export function runProgram(command: string, args: string[], env: Record<string, string>, input?: string): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}
