import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Linter, type Rule } from 'eslint';
import { parser } from 'typescript-eslint';
import { REPO_ROOT } from './terraform.util';

// The rule itself, as eslint.config.mjs loads it. The fixtures are linted with it alone and without
// type information: the rule reads only import specifiers and the importing file's path, and a
// type-aware run would load each workspace's whole program for a one-line file.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { boundariesRule } = require('../../eslint/boundaries.rule.cjs') as { boundariesRule: Rule.RuleModule };

const linter = new Linter({ configType: 'flat', cwd: REPO_ROOT });
const config: Linter.Config[] = [
  {
    files: ['**/*.ts'],
    languageOptions: { parser },
    plugins: { kineo: { rules: { boundaries: boundariesRule } } },
    rules: { 'kineo/boundaries': 'error' },
  },
];

/** The rule's messages for `code` as if it were the file at `file` (relative to the repository). */
function boundaryErrors(file: string, code: string): string[] {
  return linter.verify(code, config, { filename: path.join(REPO_ROOT, file) }).map((m) => m.message);
}

describe('the kineo/boundaries lint rule', () => {
  it('is an error for every TypeScript file in `npm run lint`', () => {
    const eslint = path.join(REPO_ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');
    const resolved = JSON.parse(
      execFileSync(process.execPath, [eslint, '--print-config', 'apps/gateway/src/main.ts'], { cwd: REPO_ROOT, encoding: 'utf8' }),
    ) as { rules: Record<string, unknown> };
    expect(resolved.rules['kineo/boundaries']).toEqual([2]);
  });

  it('refuses an app importing another app, and a lib importing an app', () => {
    expect(boundaryErrors('apps/gateway/src/fixture.ts', "import { runWorker } from '@kineo/worker';")).toEqual([
      '"@kineo/worker": apps/gateway must not import an app (apps/worker): apps reach apps only through libs, queues and HTTP',
    ]);
    expect(boundaryErrors('libs/jobs/src/fixture.ts', "export * from '@kineo/gateway/dist/schema';")).toEqual([
      '"@kineo/gateway/dist/schema": libs/jobs must not import an app (apps/gateway): libs reach apps only through libs, queues and HTTP',
    ]);
  });

  it('refuses a relative import that leaves its workspace', () => {
    expect(boundaryErrors('apps/portal/e2e/fixture.ts', "import { runCli } from '../../cli/test/run-cli';")).toEqual([
      '"../../cli/test/run-cli": a relative import must stay inside apps/portal; import another workspace by its package name',
    ]);
  });

  it('refuses the test kit in production code, and allows it in tests', () => {
    expect(boundaryErrors('apps/cli/src/fixture.ts', "const { startTestStack } = require('@kineo/testkit');")).toEqual([
      '"@kineo/testkit": production code must not import the test kit; local Postgres and Redis launchers are in @kineo/devstack',
    ]);
    expect(boundaryErrors('apps/cli/test/fixture.test.ts', "import { startTestStack } from '@kineo/testkit';")).toEqual([]);
  });

  it('lets only libs/warehouse load DuckDB', () => {
    expect(boundaryErrors('libs/pipeline/src/fixture.ts', "const duckdb = await import('@duckdb/node-api');")).toEqual([
      '"@duckdb/node-api": only libs/warehouse may load the database driver @duckdb/node-api; go through @kineo/warehouse',
    ]);
    expect(boundaryErrors('libs/warehouse/src/fixture.ts', "import { DuckDBInstance } from '@duckdb/node-api';")).toEqual([]);
  });

  it('keeps the pipeline and the generator out of the gateway, its tests included', () => {
    expect(boundaryErrors('apps/gateway/test/fixture.test.ts', "import { ingestFiles } from '@kineo/pipeline';")).toEqual([
      '"@kineo/pipeline": apps/gateway must not import @kineo/pipeline: the gateway queues loads and builds; the worker runs them',
    ]);
    expect(boundaryErrors('apps/gateway/src/fixture.ts', "import { generateExport } from '@kineo/generator';")).toEqual([
      '"@kineo/generator": apps/gateway must not import @kineo/generator: the generator makes test exports; it has no place in a server',
    ]);
  });
});
