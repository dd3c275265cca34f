import { DomainError } from '@kineo/errors';
import { ATTR, withSpan } from '@kineo/telemetry';
import type { WarehouseSession } from '@kineo/warehouse';
import type { Model } from './model';

export interface ModelResult {
  model: string;
  stage: string;
  rows: number;
  durationMs: number;
  iterations?: number;
}

const MAX_ITERATIONS = 10_000;

/**
 * Runs models in the given (dependency) order on one session, recording rows and time for each.
 * An incremental model runs its create statement, then its prelude when due, then its statements in order.
 */
export async function runModels(
  session: WarehouseSession,
  models: Model[],
  onModel?: (result: ModelResult) => void | Promise<void>,
): Promise<ModelResult[]> {
  const results: ModelResult[] = [];
  for (const model of models) {
    const result = await withSpan(`model ${model.name}`, { [ATTR.model]: model.name, [ATTR.stage]: model.stage }, async (span) => {
      const done = await runModel(session, model);
      span?.setAttribute(ATTR.rows, done.rows);
      return done;
    });
    results.push(result);
    await onModel?.(result);
  }
  return results;
}

async function runModel(session: WarehouseSession, model: Model): Promise<ModelResult> {
  const started = Date.now();
  let iterations: number | undefined;
  try {
    await session.execute(model.sql);
    if (model.prelude && (await session.query(model.prelude.when)).rows.length > 0) {
      for (const statement of model.prelude.statements) await session.execute(statement);
    }
    for (const statement of model.statements ?? []) await session.execute(statement);
    if (model.kind === 'iterate') {
      iterations = 0;
      let rows = await countRows(session, model.name);
      for (let depth = 1; depth <= MAX_ITERATIONS; depth++) {
        await session.execute(model.step!, [depth]);
        iterations++;
        const after = await countRows(session, model.name);
        if (after === rows) break;
        rows = after;
      }
    }
  } catch (error) {
    throw new ModelError(model, error);
  }
  return {
    model: model.name,
    stage: model.stage,
    rows: await countRows(session, model.name),
    durationMs: Date.now() - started,
    ...(iterations !== undefined ? { iterations } : {}),
  };
}

async function countRows(session: WarehouseSession, table: string): Promise<number> {
  const result = await session.query<{ n: number }>(`select count(*) as n from ${table}`);
  return Number(result.rows[0].n);
}

/** A model's SQL failed; the message (with the engine's) is for Kineo's operators, who read build stages. */
export class ModelError extends DomainError {
  constructor(
    readonly model: Model,
    cause: unknown,
  ) {
    super('MODEL_FAILED', `model ${model.name} (${model.source}) failed: ${cause instanceof Error ? cause.message : String(cause)}`, { model: model.name }, { cause });
  }
}
