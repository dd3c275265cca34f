import path from 'node:path';
import { startWorkerProcess as startWorker, stopProcess } from '@kineo/testkit';

const workerMain = path.join(__dirname, '..', '..', 'worker', 'dist', 'main.js');

/** The real worker, as the stack runs it, against the test's stack. */
export const startWorkerProcess = (env: Record<string, string>) => startWorker(workerMain, env);

export { stopProcess };
