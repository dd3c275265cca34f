import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { migrateDatabase, migrationsFingerprint } from '@kineo/db';
import { installedEmbeddedPostgres, startPostgres } from '@kineo/devstack';

/** Where the templates live, one folder per fingerprint. */
export const TEMPLATES_ROOT = path.join(os.tmpdir(), 'kineo-test-templates');
/** Markers of the copies in progress, `<fingerprint>.<pid>.<n>`, beside the templates. */
const IN_USE = '.in-use';
/** A template nobody has copied for this long, and nobody is copying, belongs to migrations no checkout still tests. */
export const TEMPLATE_UNUSED_MS = 3600_000;
/** A template without a record of its use (made before templates recorded it) may be in use by an older checkout. */
const UNRECORDED_TEMPLATE_MS = 24 * 3600_000;

export interface ClusterTemplate {
  /** The template's data directory, to copy. */
  dataDir: string;
  /** Says the copy is done: until then no other suite's clean-up removes the template. */
  release(): void;
}

let markers = 0;

/**
 * A stopped Postgres cluster holding the `kineo` database with every migration applied, made once
 * per machine and per fingerprint (migrations, Prisma, Postgres binaries, password), for suites to
 * start from a copy of it: `prisma migrate deploy` takes 1-3 s a suite on a loaded machine,
 * copying the cluster well under one. Returns its data directory, marked in use until `release()`,
 * or undefined when it cannot be made where a copy would work (the suite then migrates its own
 * cluster as before). Making one removes the other fingerprints' templates no suite has used for
 * an hour and none is copying (each is about 50 MB, and every migration makes a new one).
 */
export async function migratedClusterTemplate(password: string): Promise<ClusterTemplate | undefined> {
  const binaries = installedEmbeddedPostgres().binariesPackageDir;
  const postgresVersion = `${path.basename(binaries)}@${readVersion(binaries)}`;
  const key = crypto
    .createHash('sha256')
    .update(`${migrationsFingerprint()}\n${postgresVersion}\n${password}\n${process.getuid?.() ?? -1}`)
    .digest('hex')
    .slice(0, 20);
  const root = TEMPLATES_ROOT;
  const final = path.join(root, key);
  const dataDir = path.join(final, 'postgres');
  fs.mkdirSync(path.join(root, IN_USE), { recursive: true, mode: 0o755 });
  // Marked before it is looked at, so a clean-up that finds it unmarked has not been seen here.
  const release = markInUse(root, key);
  if (fs.existsSync(path.join(final, '.complete'))) {
    touch(path.join(final, '.last-used'));
    return { dataDir, release };
  }
  try {
    if (!(await makeTemplate(final, dataDir, password))) {
      release();
      return undefined;
    }
  } catch (error) {
    release();
    throw error;
  }
  removeUnusedTemplates(root, key);
  return { dataDir, release };
}

async function makeTemplate(final: string, dataDir: string, password: string): Promise<boolean> {
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
      if (server.dataDir !== path.join(staging, 'postgres')) return false;
      await server.createDatabase('kineo');
      await migrateDatabase(server.url('kineo'));
    } finally {
      await server.stop();
    }
    fs.writeFileSync(path.join(staging, '.complete'), '');
    touch(path.join(staging, '.last-used'));
    try {
      fs.renameSync(staging, final);
    } catch (error) {
      if (!fs.existsSync(path.join(final, '.complete'))) throw error;
    }
    return true;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Removes from `root` what no suite needs: the templates other than `keep` last used more than
 * `unusedMs` before `now` that no live process is copying, half-made ones whose maker died, and
 * leftovers of a removal that was cut short. Returns the names removed. A template is renamed
 * aside before it is deleted, so a suite never copies a half-deleted one: it finds no template
 * and makes its own.
 */
export function removeUnusedTemplates(root: string, keep: string, options: { now?: number; unusedMs?: number } = {}): string[] {
  const now = options.now ?? Date.now();
  const unusedMs = options.unusedMs ?? TEMPLATE_UNUSED_MS;
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  const inUse = liveMarkers(root);
  const removed: string[] = [];
  for (const name of names) {
    if (name === keep || name === IN_USE) continue;
    const dir = path.join(root, name);
    // `<key>.<pid>.<time>` is a template being made, `<key>.removing.<pid>` one being removed.
    const aside = /^[0-9a-f]+\.(?:removing\.)?(\d+)(?:\.\d+)?$/.exec(name);
    if (aside) {
      if (!isAlive(Number(aside[1])) && now - modifiedAt(dir) > unusedMs) {
        fs.rmSync(dir, { recursive: true, force: true });
        removed.push(name);
      }
      continue;
    }
    if (!/^[0-9a-f]+$/.test(name) || inUse.has(name)) continue;
    const lastUsed = modifiedAt(path.join(dir, '.last-used'));
    // Made by a checkout that neither records use nor marks its copies: only a day after it was made.
    if (lastUsed === 0 ? now - modifiedAt(path.join(dir, '.complete')) <= UNRECORDED_TEMPLATE_MS : now - lastUsed <= unusedMs) continue;
    const removing = `${dir}.removing.${process.pid}`;
    try {
      fs.renameSync(dir, removing);
    } catch {
      continue; // Another suite's clean-up took it first.
    }
    fs.rmSync(removing, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function markInUse(root: string, key: string): () => void {
  const marker = path.join(root, IN_USE, `${key}.${process.pid}.${++markers}`);
  fs.writeFileSync(marker, '');
  return () => fs.rmSync(marker, { force: true });
}

/** The fingerprints a live process is copying (markers of dead ones are removed). */
function liveMarkers(root: string): Set<string> {
  const live = new Set<string>();
  let markers: string[] = [];
  try {
    markers = fs.readdirSync(path.join(root, IN_USE));
  } catch {
    return live;
  }
  for (const marker of markers) {
    const [key, pid] = marker.split('.');
    if (isAlive(Number(pid))) live.add(key);
    else fs.rmSync(path.join(root, IN_USE, marker), { force: true });
  }
  return live;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function modifiedAt(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function touch(file: string): void {
  const now = new Date();
  try {
    fs.utimesSync(file, now, now);
  } catch {
    fs.writeFileSync(file, '');
  }
}

function readVersion(packageDir: string): string {
  return (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}
