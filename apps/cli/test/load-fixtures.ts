import path from 'node:path';
import { runCli } from './run-cli';

/** `kineo generate` of `users` people over one year into `<parent>/<name>`, as a person would; returns the folder. */
export async function exportFolder(env: Record<string, string>, parent: string, name: string, options: { users: number; seed: number }): Promise<string> {
  const dir = path.join(parent, name);
  const made = await runCli(['generate', dir, '--users', String(options.users), '--seed', String(options.seed), '--years', '1', '--as-of', '2025-06-30'], env);
  expect(made.stderr).toBe('');
  return dir;
}

/** `kineo sql <slug> ... --json`: the rows of the published version (or of `layer`). */
export async function sqlRows(env: Record<string, string>, slug: string, sql: string, layer?: string): Promise<unknown[]> {
  const result = await runCli(['sql', slug, ...(layer ? ['--layer', layer] : []), sql, '--json'], env);
  expect(result.stderr).toBe('');
  return result.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
}

/** Bronze holds each load once: no bookkeeping row per batch twice, no source line twice in one batch. */
export async function expectBronzeOnce(env: Record<string, string>, slug: string): Promise<void> {
  expect(await sqlRows(env, slug, 'select batch_id, count(*) as n from bronze._loads group by batch_id having count(*) > 1', 'bronze')).toEqual([]);
  expect(
    await sqlRows(env, slug, 'select _batch_id, _source_file, _source_line, count(*) as n from bronze.users group by all having count(*) > 1', 'bronze'),
  ).toEqual([]);
}
