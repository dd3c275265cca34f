import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { exportFolder as exportFolderIn, expectBronzeOnce, sqlRows as sqlRowsOf } from '../test/load-fixtures';
import { runCli } from '../test/run-cli';
import { startWorkerProcess, stopProcess } from '../test/worker-process';

// The worker's warehouse folder on a small tmpfs (the machine lets root mount one), filled up to
// just under what the next load needs: the load fails saying the disk is full, the published
// version keeps answering, and once space is freed the same command publishes the load.
describe('disk full during ingest', () => {
  let stack: TestStack;
  let worker: ChildProcess | undefined;
  let prisma: PrismaClient;
  let warehouseDir: string;
  let mounted = false;
  const goldCount = 'select count(*) as n from gold.fact_course_progress';

  const exportFolder = (name: string, users: number) => exportFolderIn(stack.env, stack.dir, name, { users, seed: 3 });
  const sqlRows = (sql: string, layer?: string) => sqlRowsOf(stack.env, 'acme', sql, layer);

  beforeAll(async () => {
    stack = await startTestStack();
    // Only the warehouse is on the small disk: the landing area (and Postgres, Redis) are not. The
    // tenant's two loads with their versions take about 90 MiB of it once the second publishes.
    warehouseDir = path.join(stack.env.KINEO_DATA_DIR, 'warehouse');
    fs.mkdirSync(warehouseDir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m,mode=0755', 'tmpfs', warehouseDir]);
    mounted = true;
    worker = await startWorkerProcess(stack.env);
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    expect((await runCli(['tenant', 'create', 'acme', '--name', 'Acme', '--wait'], stack.env)).code).toBe(0);
    const first = await runCli(['ingest', 'acme', await exportFolder('export-small', 200), '--as-of', '2025-06-30', '--json'], stack.env);
    expect((JSON.parse(first.stdout) as { status: string }).status).toBe('succeeded');
  });

  afterAll(async () => {
    await stopProcess(worker);
    await prisma?.$disconnect();
    if (mounted) execFileSync('umount', ['-l', warehouseDir]);
    await stack?.stop();
  });

  it('fails the load saying the disk is full, keeps serving the previous version, and publishes the same load once space is freed', async () => {
    const before = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
    const answerBefore = await sqlRows(goldCount);
    const dir = await exportFolder('export-large', 3000);

    // Leave 1 MiB: far less than bronze needs for 3,000 users' files.
    const { bavail, bsize } = fs.statfsSync(warehouseDir);
    const filler = path.join(warehouseDir, 'filler');
    fs.writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 1024 * 1024)));

    const failed = await runCli(['ingest', 'acme', dir, '--as-of', '2025-06-30'], stack.env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('The load failed: The disk holding the warehouse is full (no space left on device)');
    expect(failed.stderr).toContain('Free some space, then run the load again.');
    // A reason, not a stack trace or an "internal error".
    expect(failed.stderr).not.toMatch(/^\s+at /m);
    expect(failed.stderr).not.toMatch(/internal error/i);
    const run = await prisma.ingestionRun.findFirstOrThrow({ where: { tenantId: before.id }, orderBy: { createdAt: 'desc' }, include: { buildRuns: true } });
    expect(run.buildRuns[0]).toMatchObject({ status: 'failed', failureCode: 'DISK_FULL' });

    // The previous version keeps serving.
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: before.id } })).dataVersion).toBe(before.dataVersion);
    expect(await sqlRows(goldCount)).toEqual(answerBefore);

    // Space freed: the same command publishes the same files.
    fs.rmSync(filler);
    const retried = await runCli(['ingest', 'acme', dir, '--as-of', '2025-06-30', '--json'], stack.env);
    // What the command said beside its code, so a failure says why.
    expect({ code: retried.code, stderr: retried.stderr, status: (JSON.parse(retried.stdout) as { status: string }).status }).toEqual({ code: 0, stderr: '', status: 'succeeded' });
    expect(JSON.parse(retried.stdout)).toMatchObject({ status: 'succeeded', dataVersion: before.dataVersion + 1 });
    expect(await sqlRows(goldCount)).not.toEqual(answerBefore);
    // Whatever the failed attempt wrote before the disk filled is not in bronze, and nothing is there twice.
    expect(await sqlRows(`select count(*) as n from bronze.users where _batch_id = '${run.id}'`, 'bronze')).toEqual([{ n: 0 }]);
    expect(await sqlRows(`select count(*) as n from bronze._loads where batch_id = '${run.id}'`, 'bronze')).toEqual([{ n: 0 }]);
    await expectBronzeOnce(stack.env, 'acme');
  });
});
