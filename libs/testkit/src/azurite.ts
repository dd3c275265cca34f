import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { freePort, waitForPort } from '@kineo/devstack';

export interface AzuriteServer {
  port: number;
  /** The blob service of Azurite's development account, `http://127.0.0.1:<port>/devstoreaccount1`. */
  blobUrl: string;
  stop(): Promise<void>;
}

/**
 * The Azure Storage emulator's blob service (npm package `azurite`) on a free loopback port with its
 * data in `dir`: Azure Blob Storage's REST protocol, for code that talks to a real container.
 */
export async function startAzurite(options: { dir: string }): Promise<AzuriteServer> {
  const port = await freePort();
  fs.mkdirSync(options.dir, { recursive: true });
  const main = require.resolve('azurite/dist/src/blob/main.js');
  const child = spawn(process.execPath, [main, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', options.dir, '--silent', '--skipApiVersionCheck', '--disableProductStyleUrl'], {
    stdio: 'ignore',
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`could not start azurite (${err.message})`)));
    child.once('exit', (code) => reject(new Error(`azurite exited with code ${code} before listening on ${port}`)));
  });
  exited.catch(() => undefined);
  await Promise.race([waitForPort(port), exited]);
  child.removeAllListeners('exit');
  return {
    port,
    blobUrl: `http://127.0.0.1:${port}/devstoreaccount1`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        // Azurite's SIGTERM waits for every keep-alive connection the SDK's agents hold (minutes);
        // its data folder is thrown away, so a short grace and then SIGKILL.
        const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
