// Provisions N tenants (default 500) on the DuckDB driver and prints the time per tenant and the
// resident memory with all of them provisioned and idle, next to a baseline in the same run:
// bare DuckDB creating the same files and schemas with no driver around it.
// Run: npm run bench:provision [-- 500]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbWarehouse, namespaceForTenantSeq } from '@kineo/warehouse';

const count = Number(process.argv[2] ?? 500);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-bench-provision-'));
  try {
    const rssStart = process.memoryUsage().rss;

    const baselineStart = process.hrtime.bigint();
    for (let i = 1; i <= count; i++) {
      const tenantDir = path.join(dir, 'baseline', namespaceForTenantSeq(i));
      fs.mkdirSync(path.join(tenantDir, 'gold'), { recursive: true });
      const instance = await DuckDBInstance.create(path.join(tenantDir, 'work.duckdb'), { threads: '1' });
      const c = await instance.connect();
      for (const layer of ['bronze', 'silver', 'gold']) await c.run(`create schema if not exists ${layer}`);
      c.closeSync();
      instance.closeSync();
    }
    const baselineMs = Number(process.hrtime.bigint() - baselineStart) / 1e6;

    const warehouse = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), threads: 1, idleMs: 60_000 });
    const start = process.hrtime.bigint();
    for (let i = 1; i <= count; i++) {
      await warehouse.provision({ tenantId: String(i), namespace: namespaceForTenantSeq(i) });
    }
    const driverMs = Number(process.hrtime.bigint() - start) / 1e6;
    const rssOpen = process.memoryUsage().rss;
    const openHandles = warehouse.openHandles().work;
    // What "idle" means in production: every handle closed by the idle timer.
    await warehouse.close();
    global.gc?.();
    const rssIdle = process.memoryUsage().rss;
    const onDisk = du(path.join(dir, 'warehouse'));

    console.log(`tenants provisioned:             ${count}`);
    console.log(`driver (DuckDbWarehouse):        ${(driverMs / count).toFixed(2)} ms per tenant (${(driverMs / 1000).toFixed(2)} s total)`);
    console.log(`baseline (bare DuckDB, same files): ${(baselineMs / count).toFixed(2)} ms per tenant`);
    console.log(`ratio driver / baseline:         ${(driverMs / baselineMs).toFixed(2)}x`);
    console.log(`handles open after provisioning: ${openHandles} (cap ${8})`);
    console.log(`resident memory at start:        ${mib(rssStart)}`);
    console.log(`resident memory, handles open:   ${mib(rssOpen)}`);
    console.log(`resident memory, all ${count} idle: ${mib(rssIdle)} (+${mib(rssIdle - rssStart)} over start)`);
    console.log(`disk for ${count} empty tenants:    ${mib(onDisk)} (${(onDisk / count / 1024).toFixed(0)} KiB each)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function du(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? du(full) : fs.statSync(full).size;
  }
  return total;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
