import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from './terraform.util';

const SCRIPT = path.join(REPO_ROOT, 'scripts/with-node.sh');
// The Node running this test first on the PATH, so "the node on the PATH" is a known version.
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
const run = (...args: string[]) => spawnSync('bash', [SCRIPT, ...args], { env, encoding: 'utf8' });

describe('scripts/with-node.sh --node', () => {
  it.each(['x', '22.20', 'v22', ''])('refuses %j, naming what it got and what it wants', (version) => {
    const result = run('--node', version, 'node', '--version');

    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`--node wants a major (22) or an exact version (22.20.0), got "${version}"`);
    expect(result.stdout).toBe('');
  });

  it.each([
    ['its major', process.versions.node.split('.')[0]!],
    ['its exact version', process.versions.node],
  ])('runs the command on the node already on the PATH when it is the one asked for (%s), fetching nothing', (_what, version) => {
    const result = run('--node', version, 'node', '-p', 'process.version');

    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(process.version);
    expect(result.stderr).not.toContain('fetching');
  });
});
