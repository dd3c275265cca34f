import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const packageRoot = path.join(__dirname, '..');

/**
 * Applies every committed migration (`prisma migrate deploy`); idempotent. The CLI runs in this
 * package's folder so it reads prisma.config.ts, which keeps it off native engines, with
 * prisma/unref-engine-timers.cjs preloaded so it exits when its work is done (1 s, not 11).
 */
export function migrateDatabase(databaseUrl: string): Promise<void> {
  const preload = path.join(packageRoot, 'prisma', 'unref-engine-timers.cjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', preload, require.resolve('prisma/build/index.js'), 'migrate', 'deploy'], {
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

/**
 * Changes whenever what migrateDatabase() would do changes (a migration added or edited, another
 * Prisma version): a database migrated under one fingerprint can stand in for another migration
 * under the same one.
 */
export function migrationsFingerprint(): string {
  const hash = crypto.createHash('sha256');
  const prismaPackage = JSON.parse(fs.readFileSync(require.resolve('prisma/package.json'), 'utf8')) as { version: string };
  hash.update(`prisma ${prismaPackage.version}\n`);
  const migrations = path.join(packageRoot, 'prisma', 'migrations');
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else hash.update(`${path.relative(migrations, full)}\n`).update(fs.readFileSync(full));
    }
  };
  walk(migrations);
  return hash.digest('hex');
}
