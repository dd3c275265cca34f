import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { freePort, startTestStack, type TestStack } from '@kineo/testkit';

// The built entry point, as `npm start` and the container run it; `npm test` builds it first.
const MAIN = path.join(__dirname, '..', 'dist', 'main.js');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function runMain(env: Record<string, string>): ChildProcess {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build -w @kineo/gateway" first`);
  // Only what the gateway is given here: a developer's own GATEWAY_PORT must not leak into the test.
  return spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(stream: NodeJS.ReadableStream): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  return () => text;
}

describe('the gateway process', () => {
  it('refuses to start on an invalid GATEWAY_PORT, naming the variable, without a stack trace', async () => {
    const child = runMain({ GATEWAY_PORT: 'abc', NODE_ENV: 'test' });
    const stderr = collect(child.stderr!);
    const stdout = collect(child.stdout!);

    const exit = await exitOf(child);

    expect(exit.code).toBe(1);
    expect(stderr()).toContain('GATEWAY_PORT');
    expect(stderr()).toContain('"abc"');
    expect(stderr()).not.toMatch(/^\s+at /m);
    expect(stdout()).toBe('');
  });

  describe('on a running stack', () => {
    let stack: TestStack;

    beforeAll(async () => {
      stack = await startTestStack();
    });

    afterAll(async () => {
      await stack?.stop();
    });

    it('listens on GATEWAY_HOST:GATEWAY_PORT, logs its URLs, and shuts down cleanly on SIGTERM', async () => {
      const port = await freePort();
      const child = runMain({ ...stack.env, LOG_LEVEL: 'info', GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port) });
      const exited = exitOf(child);
      const stderr = collect(child.stderr!);
      try {
        const listening = await new Promise<{ msg: string }>((resolve, reject) => {
          const lines = readline.createInterface({ input: child.stdout! });
          lines.on('line', (line) => {
            const entry = JSON.parse(line) as { msg?: string };
            if (entry.msg?.startsWith('Gateway listening')) resolve(entry as { msg: string });
          });
          void exited.then((exit) => reject(new Error(`the gateway exited (${JSON.stringify(exit)}): ${stderr()}`)));
        });
        expect(listening.msg).toContain(`http://127.0.0.1:${port}/graphql`);
        expect(listening.msg).toContain(`http://127.0.0.1:${port}/health`);

        const health = await fetch(`http://127.0.0.1:${port}/health`);
        expect(health.status).toBe(200);
      } finally {
        child.kill('SIGTERM');
      }

      const exit = await exited;
      // The app is closed (requests drained, Prisma and Redis disconnected) and the exit is 0.
      expect(exit).toEqual({ code: 0, signal: null });
      expect(stderr()).toBe('');
    });
  });
});
