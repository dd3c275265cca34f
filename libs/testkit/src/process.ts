import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The real worker (its built `dist/main.js`), as the stack runs it, against a test's stack; resolves
 * once it says it is ready.
 */
export async function startWorkerProcess(workerMain: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [workerMain], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
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
  if (!child || child.exitCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}
