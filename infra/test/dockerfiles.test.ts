import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseDockerfile } from './dockerfile.util';
import { REPO_ROOT } from './terraform.util';

const APPS = ['gateway', 'worker', 'portal'] as const;
const read = (file: string) => fs.readFile(path.join(REPO_ROOT, file), 'utf8');

describe.each(APPS)('%s image', (app) => {
  let parsed: ReturnType<typeof parseDockerfile>;
  beforeAll(async () => {
    parsed = parseDockerfile(await read(`infra/docker/${app}.Dockerfile`));
  });
  const final = () => parsed.stages[parsed.stages.length - 1]!;

  test('every base image is pinned to an exact version or a digest', () => {
    const stageNames = new Set(parsed.stages.map((s) => s.name));
    for (const stage of parsed.stages) {
      if (stageNames.has(stage.from)) continue;
      expect(stage.from).toMatch(/(@sha256:[0-9a-f]{64}|:\d+\.\d+\.\d+[\w.-]*)$/);
    }
  });

  test('is multi-stage, pruned to the workspace with turbo', () => {
    expect(parsed.stages.length).toBeGreaterThanOrEqual(3);
    const runs = parsed.stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
    expect(runs).toContainEqual(expect.stringMatching(new RegExp(`turbo@[\\d.]+ prune @kineo/${app} --docker`)));
    if (app !== 'portal') expect(runs).toContainEqual(expect.stringContaining('npm ci --omit=dev'));
  });

  test('runs as a non-root user', () => {
    const users = final().instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
  });

  test('has a HEALTHCHECK that checks the app itself', () => {
    const checks = final().instructions.filter((i) => i.keyword === 'HEALTHCHECK');
    expect(checks).toHaveLength(1);
    expect(checks[0]!.args).toContain(`"healthcheck.cjs", "${app}"`);
  });

  test('the runtime stage installs nothing and starts node directly', () => {
    const cmd = final().instructions.find((i) => i.keyword === 'CMD')!;
    expect(cmd.args).toMatch(/^\["node", "apps\/[a-z]+\/(dist\/main|server)\.js"\]$/);
    expect(final().instructions.filter((i) => i.keyword === 'RUN')).toEqual([]);
  });
});

test('the health check probes the endpoints the apps serve', async () => {
  const script = await read('infra/docker/healthcheck.cjs');
  expect(script).toContain("'/health/live'");
  expect(script).toContain("'/api/health'");
  // The routes exist: the gateway's liveness path and the portal's health route.
  expect(await read('apps/gateway/src/engine/logging/logging.module.ts')).toContain("'/health/live'");
  await expect(fs.stat(path.join(REPO_ROOT, 'apps/portal/app/api/health/route.ts'))).resolves.toBeTruthy();
});

test('.dockerignore keeps dependencies, builds, state and secrets out of the build context', async () => {
  const ignored = (await read('.dockerignore')).split('\n').map((l) => l.trim());
  for (const entry of ['**/node_modules', '**/.next', '.git', '**/.env', '**/*.tfstate*', '.data']) expect(ignored).toContain(entry);
});

test('the portal is built as Next.js standalone output for the image only', async () => {
  expect(await read('apps/portal/next.config.ts')).toMatch(/NEXT_OUTPUT === 'standalone'[\s\S]*output: 'standalone'/);
  expect(await read('infra/docker/portal.Dockerfile')).toContain('NEXT_OUTPUT=standalone');
});
