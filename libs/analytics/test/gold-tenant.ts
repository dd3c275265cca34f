import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateExport } from '@kineo/generator';
import { buildTenant, ingestFiles } from '@kineo/pipeline';
import { DuckDbWarehouse, duckdbDialect, namespaceForTenantSeq, type Row, type SqlParam, type Warehouse } from '@kineo/warehouse';
import { parseRollupManifest, ROLLUP_MANIFEST_QUERY, rollupModels, type CompiledQuery, type RollupManifestEntry } from '../src';

export const AS_OF = '2025-06-30';

export interface GoldTenant {
  /** What the build published of the rollups (its gold.rollup_manifest). */
  rollups: RollupManifestEntry[];
  /** Time the build spent on gold models and on the rollups, in ms. */
  buildMs: { gold: number; rollups: number };
  /** Runs compiled SQL on the published gold, as the gateway does. */
  run(compiled: { sql: string; params: SqlParam[] }): Promise<Row[]>;
  /** Runs SQL written by the test (the independent answer) on the same published gold. */
  sql(sql: string, params?: SqlParam[]): Promise<Row[]>;
  /** Streams compiled SQL on the published gold in chunks, as an export does. */
  stream(compiled: { sql: string; params: SqlParam[] }): Promise<Row[]>;
  /** The warehouse and tenant it was published in (version 1). */
  warehouse: Warehouse;
  tenant: { tenantId: string; namespace: string };
  close(): Promise<void>;
}

/**
 * A small generated tenant (three years of history, July fiscal years, some awkward hierarchy
 * cases) loaded through the real pipeline to published gold on DuckDB, or on the warehouse
 * `open` makes (given the folder its landing area is in), e.g. a Databricks one.
 */
export async function buildGoldTenant(users = 80, open?: (landingRoot: string) => Warehouse): Promise<GoldTenant> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-analytics-'));
  const tenant = { tenantId: 'analytics', namespace: namespaceForTenantSeq(77) };
  const landingRoot = path.join(dir, 'landing');
  const wh = open ? open(landingRoot) : new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), landingRoot, threads: 1 });
  const asOf = new Date(`${AS_OF}T00:00:00Z`);
  let buildMs = { gold: 0, rollups: 0 };
  try {
    await wh.provision(tenant);
    const landing = path.join(landingRoot, tenant.namespace, 'export');
    await generateExport({ dir: landing, users, seed: 7, asOf, years: 3 });
    const files = fs.readdirSync(landing).map((f) => ({ path: path.join(landing, f) }));
    await ingestFiles(wh, tenant, files, { batchId: '00000000-0000-4000-8000-0000000000bb', source: 'test' });
    const stages = await buildTenant(wh, tenant, { asOf, fiscalYearStartMonth: 7, models: rollupModels(wh.dialect, asOf) });
    const all = Object.values(stages).flat();
    const isRollup = (model: string) => model.startsWith('gold.rollup_');
    buildMs = {
      gold: all.filter((r) => r.model.startsWith('gold.') && !isRollup(r.model)).reduce((n, r) => n + r.durationMs, 0),
      rollups: all.filter((r) => isRollup(r.model)).reduce((n, r) => n + r.durationMs, 0),
    };
    await wh.publish(tenant, 1);
  } catch (error) {
    await wh.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const sql = async (text: string, params: SqlParam[] = []) => (await wh.queryPublished(tenant, text, params)).rows;
  const rollups = parseRollupManifest(await sql(ROLLUP_MANIFEST_QUERY));
  return {
    rollups,
    buildMs,
    run: (compiled) => sql(compiled.sql, compiled.params),
    stream: async (compiled) => {
      const rows: Row[] = [];
      for await (const chunk of wh.streamPublished(tenant, compiled.sql, compiled.params, { chunkSize: 50 })) rows.push(...chunk);
      return rows;
    },
    sql,
    warehouse: wh,
    tenant,
    close: async () => {
      await wh.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const dialect = duckdbDialect;
export type { CompiledQuery };
