import fs from 'node:fs';
import path from 'node:path';

export interface Model {
  /** layer.table this model produces. */
  name: string;
  depends: string[];
  kind: 'table' | 'iterate' | 'incremental';
  /** The build stage it belongs to (silver, hierarchy, gold, snapshots); defaults to its layer. */
  stage: string;
  /** For 'table': one statement. For 'iterate': the seed statement. For 'incremental': the `create table if not exists`. */
  sql: string;
  /** For 'iterate': runs with the last depth as its one parameter until it adds no rows. */
  step?: string;
  /** For 'incremental': statements run in order after `sql` (inserts, deletes) on a table kept across builds. */
  statements?: string[];
  /**
   * Kept tables keyed by fiscal year whose rows of the years a change of the fiscal calendar moved
   * are archived and deleted before this model's statements run (`-- calendar-reset:` header; see
   * calendar-reset.ts).
   */
  calendarResets?: string[];
  /**
   * For 'incremental': statements run after `sql` and before `statements`, only when the query
   * `when` returns a row (most builds need none of them, and each is a round trip on Databricks).
   */
  prelude?: { when: string; statements: string[] };
  source: string;
}

const MODELS_DIR = path.join(__dirname, '..', '..', 'models');

/**
 * Reads a model file: a header of `-- model:`, `-- depends:` and `-- kind:` lines, then SQL.
 * An iterate model has `-- seed` and `-- step` sections. An incremental model (a table that
 * later builds add to instead of replacing) has one `-- create` section, then `-- apply` sections.
 */
export function parseModel(text: string, source: string): Model {
  const name = /^--\s*model:\s*(\S+)/m.exec(text)?.[1];
  if (!name) throw new Error(`${source}: no "-- model:" line`);
  const depends = (/^--\s*depends:\s*(.*)$/m.exec(text)?.[1] ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  const kind = (/^--\s*kind:\s*(\S+)/m.exec(text)?.[1] ?? 'table') as Model['kind'];
  const calendarResets = (/^--\s*calendar-reset:\s*(.*)$/m.exec(text)?.[1] ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const stage = /^--\s*stage:\s*(\S+)/m.exec(text)?.[1] ?? name.split('.')[0];
  const withoutComments = (sql: string) =>
    sql
      .split('\n')
      .filter((line) => !/^\s*--/.test(line))
      .join('\n')
      .trim();
  if (kind === 'iterate') {
    const seed = /^--\s*seed\s*$([\s\S]*?)^--\s*step\b.*$/m.exec(text)?.[1];
    const step = /^--\s*step\b.*$([\s\S]*)/m.exec(text)?.[1];
    if (!seed || !step) throw new Error(`${source}: an iterate model needs "-- seed" and "-- step" sections`);
    return { name, depends, kind, stage, sql: withoutComments(seed), step: withoutComments(step), source };
  }
  if (kind === 'incremental') {
    const sections = text.split(/^--\s*(create|apply)\s*$/m);
    // split with a capture group: [before, marker, body, marker, body, ...]
    const bodies = (marker: string) => sections.flatMap((part, i) => (i % 2 === 1 && part === marker ? [withoutComments(sections[i + 1])] : []));
    const [create, ...extraCreates] = bodies('create');
    if (!create || extraCreates.length > 0) throw new Error(`${source}: an incremental model needs exactly one "-- create" section`);
    const statements = bodies('apply');
    if (statements.some((s) => !s)) throw new Error(`${source}: an "-- apply" section is empty`);
    return { name, depends, kind, stage, sql: create, statements, source, ...(calendarResets.length > 0 ? { calendarResets } : {}) };
  }
  if (calendarResets.length > 0) throw new Error(`${source}: only an incremental model can reset kept tables on a calendar change`);
  if (kind !== 'table') throw new Error(`${source}: unknown kind "${String(kind)}" (table, iterate or incremental)`);
  return { name, depends, kind, stage, sql: withoutComments(text), source };
}

export function loadModelFiles(dir = MODELS_DIR): Model[] {
  const models: Model[] = [];
  for (const layer of fs.readdirSync(dir)) {
    const layerDir = path.join(dir, layer);
    if (!fs.statSync(layerDir).isDirectory()) continue;
    for (const file of fs.readdirSync(layerDir).filter((f) => f.endsWith('.sql')).sort()) {
      models.push(parseModel(fs.readFileSync(path.join(layerDir, file), 'utf8'), `${layer}/${file}`));
    }
  }
  return models;
}

/** Orders models so each runs after what it depends on; names a cycle or a missing model. */
export function orderModels(models: Model[], provided: Iterable<string> = []): Model[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const available = new Set(provided);
  const ordered: Model[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (model: Model, trail: string[]) => {
    if (state.get(model.name) === 'done') return;
    if (state.get(model.name) === 'visiting') throw new Error(`model dependency cycle: ${[...trail, model.name].join(' -> ')}`);
    state.set(model.name, 'visiting');
    for (const dep of model.depends) {
      const target = byName.get(dep);
      if (target) visit(target, [...trail, model.name]);
      else if (!available.has(dep)) throw new Error(`${model.source}: depends on ${dep}, which no model produces`);
    }
    state.set(model.name, 'done');
    ordered.push(model);
  };
  for (const model of [...models].sort((a, b) => a.name.localeCompare(b.name))) visit(model, []);
  return ordered;
}
