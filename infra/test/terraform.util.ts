import { parse } from '@cdktf/hcl2json';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const TERRAFORM_ROOT = path.join(REPO_ROOT, 'terraform');

type Json = Record<string, unknown>;

/** One Terraform configuration directory (a module or an environment), its .tf files merged as data. */
export interface TerraformDir {
  dir: string;
  /** `resource.<type>.<name>` -> the block's attributes (the first and only body). */
  resources: { type: string; name: string; file: string; body: Json }[];
  variables: Record<string, Json>;
  locals: Json;
  modules: Record<string, Json>;
  outputs: Record<string, Json>;
  terraform: Json[];
  /** `moved` blocks: state addresses an upgrade carries over instead of destroying and re-creating. */
  moved: { from: string; to: string }[];
}

export async function listTerraformDirs(): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name.endsWith('.tf'))) found.push(dir);
    for (const entry of entries) {
      if (entry.isDirectory() && entry.name !== '.terraform') await walk(path.join(dir, entry.name));
    }
  }
  await walk(TERRAFORM_ROOT);
  return found.sort();
}

export async function loadTerraformDir(dir: string): Promise<TerraformDir> {
  const result: TerraformDir = { dir, resources: [], variables: {}, locals: {}, modules: {}, outputs: {}, terraform: [], moved: [] };
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.tf')).sort();
  for (const file of files) {
    const text = await fs.readFile(path.join(dir, file), 'utf8');
    let parsed: Json;
    try {
      parsed = (await parse(file, text)) as Json;
    } catch (error) {
      throw new Error(`${path.relative(REPO_ROOT, path.join(dir, file))} is not valid HCL: ${String(error)}`);
    }
    for (const [type, byName] of Object.entries((parsed.resource ?? {}) as Record<string, Record<string, Json[]>>)) {
      for (const [name, bodies] of Object.entries(byName)) {
        result.resources.push({ type, name, file, body: bodies[0]! });
      }
    }
    for (const [name, bodies] of Object.entries((parsed.variable ?? {}) as Record<string, Json[]>)) result.variables[name] = bodies[0]!;
    for (const [name, bodies] of Object.entries((parsed.module ?? {}) as Record<string, Json[]>)) result.modules[name] = bodies[0]!;
    for (const [name, bodies] of Object.entries((parsed.output ?? {}) as Record<string, Json[]>)) result.outputs[name] = bodies[0]!;
    for (const block of (parsed.locals ?? []) as Json[]) Object.assign(result.locals, block);
    result.terraform.push(...((parsed.terraform ?? []) as Json[]));
    result.moved.push(...((parsed.moved ?? []) as { from: string; to: string }[]));
  }
  return result;
}

export async function loadAllTerraform(): Promise<TerraformDir[]> {
  return Promise.all((await listTerraformDirs()).map(loadTerraformDir));
}

export function relative(dir: string, file?: string): string {
  return path.relative(REPO_ROOT, file ? path.join(dir, file) : dir);
}

/** Every [key path, value] pair of a parsed body, depth first, for checks that apply at any depth. */
export function* walkAttributes(value: unknown, at: string[] = []): Generator<[string[], unknown]> {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* walkAttributes(item, [...at, String(i)]);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      yield [[...at, key], item];
      yield* walkAttributes(item, [...at, key]);
    }
  }
}

/**
 * Evaluates the string expressions the tenant module uses (`var.x`, `local.x`, `each.value`,
 * `<type>.<name>[<key>].<attribute>` of a resource in the same directory), so a module can be
 * compared with what the platform creates. Anything else is refused, not guessed.
 */
export class TerraformEvaluator {
  constructor(
    private readonly tf: TerraformDir,
    private readonly vars: Record<string, string>,
  ) {}

  evaluate(value: unknown, each?: string): unknown {
    if (typeof value === 'string') return this.interpolate(value, each);
    if (Array.isArray(value)) return value.map((v) => this.evaluate(v, each));
    return value;
  }

  private interpolate(text: string, each?: string): unknown {
    const whole = /^\$\{([^{}]+)\}$/.exec(text);
    if (whole) return this.reference(whole[1]!.trim(), each);
    return text.replace(/\$\{([^{}]+)\}/g, (_, expr: string) => String(this.reference(expr.trim(), each)));
  }

  private reference(expr: string, each?: string): unknown {
    if (expr.startsWith('var.')) {
      const name = expr.slice(4);
      if (!(name in this.vars)) throw new Error(`${relative(this.tf.dir)}: no value given for var.${name}`);
      return this.vars[name];
    }
    if (expr.startsWith('local.')) {
      const name = expr.slice(6);
      if (!(name in this.tf.locals)) throw new Error(`${relative(this.tf.dir)}: no local ${name}`);
      return this.evaluate(this.tf.locals[name]);
    }
    if (expr === 'each.value' || expr === 'each.key') {
      if (each === undefined) throw new Error(`${relative(this.tf.dir)}: ${expr} outside a for_each`);
      return each;
    }
    const ref = /^([a-z_]+)\.([a-z_]+)(?:\["([^"]+)"\])?\.([a-z_]+)$/.exec(expr);
    if (ref) {
      const [, type, name, key, attribute] = ref;
      const resource = this.tf.resources.find((r) => r.type === type && r.name === name);
      if (!resource) throw new Error(`${relative(this.tf.dir)}: no resource ${type}.${name}`);
      return this.evaluate(resource.body[attribute!], key);
    }
    throw new Error(`${relative(this.tf.dir)}: cannot evaluate \${${expr}} statically`);
  }

  /** The keys a resource's for_each yields (a toset of a literal list or of a local); [undefined] without one. */
  instances(body: Json): (string | undefined)[] {
    if (body.for_each === undefined) return [undefined];
    const forEach = body.for_each;
    const expr = typeof forEach === 'string' ? /^\$\{toset\((.+)\)\}$/.exec(forEach) : null;
    if (!expr) throw new Error(`${relative(this.tf.dir)}: cannot expand for_each ${JSON.stringify(forEach)}`);
    const list = this.reference(expr[1]!.trim());
    if (!Array.isArray(list)) throw new Error(`${relative(this.tf.dir)}: for_each ${expr[1]} is not a list`);
    return list.map(String);
  }
}
