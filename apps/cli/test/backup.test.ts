import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generateExport } from '@kineo/generator';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { runCli, runCliWithInput } from './run-cli';
import { startWorkerProcess, stopProcess } from './worker-process';

describe('kineo backup and kineo restore', () => {
  let stack: TestStack;
  let worker: ChildProcess | undefined;
  let restored: Record<string, string>;
  const backupDir = () => path.join(stack.dir, 'backup');

  /** What a person compares after a restore: tenants, users and an answer from published data. */
  async function world(env: Record<string, string>) {
    const tenants = JSON.parse((await runCli(['tenant', 'list', '--json'], env)).stdout) as Record<string, unknown>[];
    const users = JSON.parse((await runCli(['user', 'list', '--json'], env)).stdout) as unknown;
    const answer = await runCli(['sql', 'acme', 'select count(*) as users, sum(user_key) as keys from gold.dim_user', '--json'], env);
    expect(answer.stderr).toBe('');
    return { tenants: tenants.map(({ createdAt: _c, ...t }) => t), users, answer: answer.stdout };
  }

  beforeAll(async () => {
    stack = await startTestStack();
    worker = await startWorkerProcess(stack.env);
    expect((await runCli(['tenant', 'create', 'acme', '--name', 'Acme', '--wait'], stack.env)).code).toBe(0);
    expect((await runCli(['tenant', 'create', 'globex', '--name', 'Globex', '--wait'], stack.env)).code).toBe(0);
    const exportDir = path.join(stack.dir, 'export');
    await generateExport({ dir: exportDir, users: 60, seed: 3, years: 1, fiscalCalendar: false });
    expect((await runCli(['ingest', 'acme', exportDir], stack.env)).code).toBe(0);
    const created = await runCliWithInput(
      ['user', 'create', 'admin@acme.test', '--tenant', 'acme', '--role', 'org_admin', '--password-stdin'],
      stack.env,
      'correct horse battery staple\n',
    );
    expect(created.stderr).toBe('');
    // The restore target: a new, empty database on the same server and a new data directory.
    await stack.postgres.createDatabase('restored');
    restored = { ...stack.env, DATABASE_URL: stack.postgres.url('restored'), KINEO_DATA_DIR: path.join(stack.dir, 'restored-data') };
  });

  afterAll(async () => {
    await stopProcess(worker);
    await stack?.stop();
  });

  it('restores onto an empty data directory the same tenants, users and query answers, and says to when', async () => {
    const before = await world(stack.env);
    const backup = await runCli(['backup', backupDir()], stack.env);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(backupDir(), 'manifest.json'), 'utf8'));
    expect(backup.stdout).toContain(`as of ${manifest.pointInTime}`);
    expect(manifest.tenants.map((t: { slug: string; snapshot: string | null }) => [t.slug, t.snapshot !== null])).toEqual([
      ['acme', true],
      ['globex', false],
    ]);

    const restore = await runCli(['restore', backupDir()], restored);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain(`to the point in time ${manifest.pointInTime}`);
    expect(await world(restored)).toEqual(before);
  });

  it('refuses to restore over data unless --force, and then replaces it', async () => {
    const again = await runCli(['restore', backupDir()], restored);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Refusing to restore: the target already holds data (2 tenant(s)');
    expect(again.stderr).toContain('--force');
    const forced = await runCli(['restore', backupDir(), '--force'], restored);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect((await world(restored)).tenants.map((t) => t.slug)).toEqual(['acme', 'globex']);
  });

  it('names a missing or corrupt manifest and a changed file', async () => {
    const empty = path.join(stack.dir, 'not-a-backup');
    fs.mkdirSync(empty);
    const missing = await runCli(['restore', empty], restored);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`No backup manifest at ${path.join(empty, 'manifest.json')}`);

    const broken = path.join(stack.dir, 'broken');
    fs.cpSync(backupDir(), broken, { recursive: true });
    fs.writeFileSync(path.join(broken, 'manifest.json'), '{"format": "kineo-backup", "version": 1');
    const corrupt = await runCli(['restore', broken], restored);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toContain(`The backup manifest ${path.join(broken, 'manifest.json')} is corrupt`);

    fs.cpSync(path.join(backupDir(), 'manifest.json'), path.join(broken, 'manifest.json'));
    fs.appendFileSync(path.join(broken, 'metadata', 'tenant.json'), ' ');
    const changed = await runCli(['restore', broken, '--force'], restored);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(`${path.join(broken, 'metadata', 'tenant.json')} does not match its SHA-256`);
  });
});
