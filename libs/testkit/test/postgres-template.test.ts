import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeUnusedTemplates } from '../src/postgres-template.util';

const HOUR = 3600_000;

describe('the migrated-cluster templates left by older migrations', () => {
  let root: string;
  const now = Date.now();
  // A pid no process has any more: a child that has exited.
  const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;

  const at = (file: string, ago: number) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file)) fs.writeFileSync(file, '');
    const when = new Date(now - ago);
    fs.utimesSync(file, when, when);
  };
  /** A complete template of `key`, made `madeAgo` and last copied `usedAgo` (never recorded when null). */
  const template = (key: string, madeAgo: number, usedAgo: number | null) => {
    fs.mkdirSync(path.join(root, key, 'postgres'), { recursive: true });
    at(path.join(root, key, '.complete'), madeAgo);
    if (usedAgo !== null) at(path.join(root, key, '.last-used'), usedAgo);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-templates-test-'));
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('removes the ones unused for an hour that no live process is copying, and what dead makers left; keeps the rest', () => {
    template('aaaa01', 5 * HOUR, 2 * HOUR); // unused: removed
    template('bbbb02', 5 * HOUR, 10 * 60_000); // used ten minutes ago: kept
    template('cccc03', 5 * HOUR, 2 * HOUR); // old, but this live process is copying it: kept
    at(path.join(root, '.in-use', `cccc03.${process.pid}.1`), 0);
    template('dddd04', 5 * HOUR, 2 * HOUR); // old; its marker's process is dead: removed
    at(path.join(root, '.in-use', `dddd04.${deadPid}.1`), 0);
    template('eeee05', 5 * HOUR, 3 * HOUR); // the one just made or asked for: kept whatever its age
    template('ffff06', 5 * HOUR, null); // made by a checkout that records no use, 5 h ago: kept
    template('abab07', 30 * HOUR, null); // ... a day and more ago: removed
    at(path.join(root, `aaaa01.${deadPid}.123`, '.complete'), 0); // half-made by a dead process...
    at(path.join(root, `aaaa01.${deadPid}.123`), 2 * HOUR); // ...two hours ago: removed
    fs.mkdirSync(path.join(root, `bbbb02.${process.pid}.456`)); // being made by a live one: kept
    fs.mkdirSync(path.join(root, `cafe08.removing.${deadPid}`)); // a removal cut short: removed
    at(path.join(root, `cafe08.removing.${deadPid}`), 2 * HOUR);

    const removed = removeUnusedTemplates(root, 'eeee05', { now });

    expect(removed.sort()).toEqual(['aaaa01', `aaaa01.${deadPid}.123`, 'abab07', `cafe08.removing.${deadPid}`, 'dddd04'].sort());
    expect(fs.readdirSync(root).sort()).toEqual(['.in-use', 'bbbb02', `bbbb02.${process.pid}.456`, 'cccc03', 'eeee05', 'ffff06'].sort());
    // The dead process's marker goes with it; the live one stays until its copy is done.
    expect(fs.readdirSync(path.join(root, '.in-use'))).toEqual([`cccc03.${process.pid}.1`]);
  });

  it('finds nothing to do in a folder that does not exist yet', () => {
    expect(removeUnusedTemplates(path.join(root, 'none'), 'eeee05', { now })).toEqual([]);
  });
});
