import { spawn } from 'node:child_process';
import path from 'node:path';

const packageRoot = path.join(__dirname, '..');

/**
 * Applies every committed migration (`prisma migrate deploy`); idempotent. The CLI runs in this
 * package's folder so it reads prisma.config.ts, which keeps it off native engines.
 */
export function migrateDatabase(databaseUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('prisma/build/index.js'), 'migrate', 'deploy'], {
      cwd: packageRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`database migration failed (exit ${code}):\n${output.trim()}`));
    });
  });
}
