import type { TenantNamespace, Warehouse } from '@kineo/warehouse';
import { loadModelFiles, orderModels, type Model } from './model';
import { runModels, type ModelResult } from './runner';
import { silverStagingModels } from './silver-staging';
import { ALL_FILES } from '@kineo/contract';

export const BUILD_STAGES = ['silver', 'hierarchy'] as const;
export type BuildStage = (typeof BUILD_STAGES)[number];

export interface BuildOptions {
  asOf: Date;
  stages?: readonly BuildStage[];
  onModel?: (result: ModelResult) => void | Promise<void>;
  onStage?: (stage: BuildStage, phase: 'start' | 'end', results: ModelResult[]) => void | Promise<void>;
}

/**
 * Builds the tenant's layers from bronze, stage by stage, in one warehouse session. Every stage
 * records what each model produced; a failing model stops the build with its name.
 */
export async function buildTenant(warehouse: Warehouse, tenant: TenantNamespace, options: BuildOptions): Promise<Record<BuildStage, ModelResult[]>> {
  return warehouse.session(tenant, async (session) => {
    await session.execute('create or replace table silver._build as select cast(? as timestamp) as as_of', [options.asOf.toISOString()]);
    const sentinelRows = await session.query<{ value: string }>("select distinct trim(value) as value from bronze.null_dates where trim(value) <> ''");
    const models: Model[] = [
      ...silverStagingModels(warehouse.dialect, { texts: sentinelRows.rows.map((r) => r.value) }),
      ...loadModelFiles(),
    ];
    const ordered = orderModels(models, [...ALL_FILES.map((f) => `bronze.${f.name}`), 'silver._build']);
    const out = {} as Record<BuildStage, ModelResult[]>;
    for (const stage of options.stages ?? BUILD_STAGES) {
      await options.onStage?.(stage, 'start', []);
      out[stage] = await runModels(session, ordered.filter((m) => m.stage === stage), options.onModel);
      await options.onStage?.(stage, 'end', out[stage]);
    }
    return out;
  });
}
