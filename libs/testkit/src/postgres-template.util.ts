import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { migrateDatabase, migrationsFingerprint } from '@kineo/db';
import { installedEmbeddedPostgres, startPostgres } from '@kineo/devstack';

/**
 * A stopped Postgres cluster holding the `kineo` database with every migration applied, made once
 * per machine and per fingerprint (migrations, Prisma, Postgres binaries, password), for suites to
 * start from a copy of it: `prisma migrate deploy` takes 10-15 s a suite on a loaded machine,
 * copying the cluster well under one. Returns its data directory, or undefined when it cannot be
 * made where a copy would work (the suite then migrates its own cluster as before).
 */
export async function migratedClusterTemplate(password: string): Promise<string | undefined> {
  const binaries = installedEmbeddedPostgres().binariesPackageDir;
  const postgresVersion = `${path.basename(binaries)}@${readVersion(binaries)}`;
  const key = crypto
    .createHash('sha256')
    .update(`${migrationsFingerprint()}\n${postgresVersion}\n${password}\n${process.getuid?.() ?? -1}`)
    .digest('hex')
    .slice(0, 20);
  const root = path.join(os.tmpdir(), 'kineo-test-templates');
  const final = path.join(root, key);
  const dataDir = path.join(final, 'postgres');
  if (fs.existsSync(path.join(final, '.complete'))) return dataDir;

  fs.mkdirSync(root, { recursive: true, mode: 0o755 });
  // Made beside its final name and renamed into place, so suites starting at once (Jest workers)
  // never copy a half-made template; the slower of two makers throws its own away.
  const staging = `${final}.${process.pid}.${Date.now()}`;
  fs.mkdirSync(staging, { mode: 0o755 });
  fs.chmodSync(staging, 0o755);
  try {
    const server = await startPostgres({ dataDir: path.join(staging, 'postgres'), persistent: true, password });
    try {
      // As root, a cluster the postgres user could not reach is placed elsewhere; renaming the
      // staging folder would not take it along.
      if (server.dataDir !== path.join(staging, 'postgres')) return undefined;
      await server.createDatabase('kineo');
      await migrateDatabase(server.url('kineo'));
    } finally {
      await server.stop();
    }
    fs.writeFileSync(path.join(staging, '.complete'), '');
    try {
      fs.renameSync(staging, final);
    } catch (error) {
      if (!fs.existsSync(path.join(final, '.complete'))) throw error;
    }
    return dataDir;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function readVersion(packageDir: string): string {
  return (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}
