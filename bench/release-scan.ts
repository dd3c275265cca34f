// bench/release-scan: what the worker's start-up scan costs on a fleet. One tenant ("bench", default
// 500 users) is loaded through the real stack; 499 more are created, provisioned and given a copy of
// its published snapshot, so 500 active tenants each have a published version to read. Then, ROUNDS
// times: every tenant's record is put back as an older release left it (its manifest, no gold
// columns), and the scan a worker runs at start (queueStaleRollupRefreshes) runs twice: the first
// start of the release, which reads each tenant's rollup manifest and gold columns from the warehouse
// and records them, and the next start (another replica, a restart, a later release), which reads
// Postgres only. Nothing is stale or missing, so neither queues anything: the price of a start.
// Run: npm run bench:release-scan [-- <users>]; KINEO_BENCH_CACHE=<folder> keeps the stack for the next run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createSecretStore, loadSettings } from '@kineo/config';
import { createPrismaClient, Prisma, TenantService } from '@kineo/db';
import { JobQueues } from '@kineo/jobs';
import { createWarehouse, DuckDbWarehouse } from '@kineo/warehouse';
import { queueStaleRollupRefreshes } from '@kineo/worker';
import { fleetTenant, fmt, generate, ingestThroughStack } from './support';

const users = Number(process.argv[2] ?? 500);
const TENANTS = Number(process.env.KINEO_BENCH_TENANTS ?? 500);
const ROUNDS = 3;
const slugOf = (i: number) => `scan-${String(i).padStart(3, '0')}`;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-bench-scan-'));
  try {
    const exportDir = async () => process.env.KINEO_BENCH_EXPORT ?? (await generate(path.join(work, 'export'), users)).dir;
    await ingestThroughStack(exportDir, { threads: 1, memoryLimit: '1GB', keepIn: process.env.KINEO_BENCH_CACHE }, async (run) => {
      const settings = loadSettings({ ...process.env, ...run.env, LOG_LEVEL: 'warn' });
      const prisma = createPrismaClient(run.env.DATABASE_URL);
      const tenants = new TenantService(prisma);
      // The worker's own warehouse (its handle cap, idle timers and settings), as at its start.
      const warehouse = await createWarehouse(settings, createSecretStore(settings), 'worker');
      if (!(warehouse instanceof DuckDbWarehouse)) throw new Error('This bench measures the DuckDB engine (WAREHOUSE_ENGINE=duckdb).');
      const queues = new JobQueues(run.env.REDIS_URL);
      const log = pino({ level: 'warn' });
      try {
        const bench = await tenants.get('bench');
        const snapshot = path.join(warehouse.tenantDir({ tenantId: bench.id, namespace: bench.namespace }), 'gold', `v${bench.dataVersion}.duckdb`);
        const setUp = process.hrtime.bigint();
        // Idempotent, so a kept stack is set up once.
        for (let i = 1; i < TENANTS; i++) await fleetTenant({ prisma, tenants, warehouse }, slugOf(i), snapshot);
        const fleet = await prisma.tenant.findMany({ where: { status: 'active', dataVersion: { gt: 0 } }, select: { id: true, namespace: true, dataVersion: true } });
        console.log(`tenants: ${fleet.length} active with a published version (${fmt(users)} users each), set up in ${(ms(setUp) / 1000).toFixed(1)} s`);
        const scanned = async () => {
          const started = process.hrtime.bigint();
          const scan = await queueStaleRollupRefreshes({ prisma, warehouse, queues, log });
          const scanMs = ms(started);
          if (scan.unreadable > 0 || scan.queued.length > 0 || scan.rebuilds.length > 0 || scan.checked !== fleet.length) {
            throw new Error(`The scan was meant to read every tenant and find nothing to do: ${JSON.stringify({ checked: scan.checked, unreadable: scan.unreadable, queued: scan.queued.length, rebuilds: scan.rebuilds.length })}`);
          }
          return `${(scanMs / 1000).toFixed(1)} s (${(scanMs / scan.checked).toFixed(1)} ms a tenant, ${scan.readFromWarehouse} read from the warehouse)`;
        };

        for (let round = 1; round <= ROUNDS; round++) {
          // As an older release left the fleet: manifests recorded, gold columns not.
          await prisma.publishedRollups.updateMany({ data: { goldColumns: Prisma.DbNull } });
          const first = await scanned();
          const second = await scanned();
          console.log(`round ${round}: first start ${first}; next start ${second}`);
        }
        console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      } finally {
        await queues.close();
        await warehouse.close();
        await prisma.$disconnect();
      }
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
