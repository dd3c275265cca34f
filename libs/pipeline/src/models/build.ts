import { randomUUID } from 'node:crypto';
import type { TenantNamespace, Warehouse } from '@kineo/warehouse';
import { calendarResetOfThisBuild, calendarResetWarning, withCalendarResets } from './calendar-reset';
import { loadModelFiles, orderModels, type Model } from './model';
import { compileModel } from './placeholders';
import { runModels, type ModelResult } from './runner';
import { ALL_FILES } from '@kineo/contract';
import { layerStorage } from '../storage/layer-storage';

export const BUILD_STAGES = ['silver', 'hierarchy', 'gold', 'snapshots'] as const;
export type BuildStage = (typeof BUILD_STAGES)[number];

export interface BuildOptions {
  asOf: Date;
  /**
   * The month (1-12) the tenant's fiscal year starts in, for gold.dim_date when the tenant has not
   * uploaded a fiscal calendar (dimdates). Default 1: fiscal years are calendar years.
   */
  fiscalYearStartMonth?: number;
  stages?: readonly BuildStage[];
  /**
   * What identifies this build across its stages and their retries (the worker's build run id):
   * a retried snapshots stage finds the history reset it made instead of making another. A new
   * id per call when not given.
   */
  buildId?: string;
  /**
   * Models built with the pipeline's own, in the stage each names (the semantic layer's rollups, built
   * from gold in the snapshots stage, so publishing the build publishes them with it).
   */
  models?: readonly Model[];
  onModel?: (result: ModelResult) => void | Promise<void>;
  onStage?: (stage: BuildStage, phase: 'start' | 'end', results: ModelResult[]) => void | Promise<void>;
  /** What a stage did that the tenant's org admin should know, without failing it (a fiscal calendar change). */
  onWarning?: (stage: BuildStage, warning: string) => void | Promise<void>;
}

/**
 * Builds the tenant's layers from bronze, stage by stage, in one warehouse session. Every stage
 * records what each model produced; a failing model stops the build with its name.
 */
export async function buildTenant(warehouse: Warehouse, tenant: TenantNamespace, options: BuildOptions): Promise<Record<BuildStage, ModelResult[]>> {
  const fiscalYearStartMonth = options.fiscalYearStartMonth ?? 1;
  if (!Number.isInteger(fiscalYearStartMonth) || fiscalYearStartMonth < 1 || fiscalYearStartMonth > 12) {
    throw new RangeError(`fiscalYearStartMonth must be a whole number from 1 to 12, got ${fiscalYearStartMonth}`);
  }
  return warehouse.session(tenant, async (session) => {
    await session.execute(
      'create or replace table silver._build as select cast(? as timestamp) as as_of, cast(? as integer) as fiscal_year_start_month, cast(? as string) as build_id',
      [options.asOf.toISOString(), fiscalYearStartMonth, options.buildId ?? randomUUID()],
    );
    const sentinelRows = await session.query<{ value: string }>("select distinct trim(value) as value from bronze.null_dates where trim(value) <> ''");
    const silver = await layerStorage(warehouse, tenant).silverStaging(session, warehouse.dialect, { texts: sentinelRows.rows.map((r) => r.value) });
    const models: Model[] = [
      // Generated from the contract in each engine's SQL already (and holding tenant-given sentinel texts).
      ...silver.models,
      ...withCalendarResets(loadModelFiles()).map((m) => compileModel(m, warehouse.dialect)),
      ...(options.models ?? []),
    ];
    const ordered = orderModels(models, [...ALL_FILES.map((f) => `bronze.${f.name}`), 'silver._build']);
    const out = {} as Record<BuildStage, ModelResult[]>;
    for (const stage of options.stages ?? BUILD_STAGES) {
      await options.onStage?.(stage, 'start', []);
      if (stage === 'silver') await silver.beforeStage();
      out[stage] = await runModels(session, ordered.filter((m) => m.stage === stage), options.onModel);
      if (stage === 'silver') silver.afterStage();
      if (stage === 'snapshots') {
        const reset = await calendarResetOfThisBuild(session);
        if (reset) await options.onWarning?.(stage, calendarResetWarning(reset));
      }
      await options.onStage?.(stage, 'end', out[stage]);
    }
    return out;
  });
}
