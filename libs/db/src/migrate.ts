import { spawn } from 'node:child_process';
import path from 'node:path';

const prismaScript = path.join(__dirname, '..', 'scripts', 'prisma.js');

/** Applies every committed migration (`prisma migrate deploy`); idempotent. */
export function migrateDatabase(databaseUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [prismaScript, 'migrate', 'deploy'], {
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
