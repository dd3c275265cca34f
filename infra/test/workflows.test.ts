import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './terraform.util';

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, unknown> };
type Job = { steps?: Step[]; environment?: unknown; strategy?: { matrix?: Record<string, unknown> }; if?: string; needs?: unknown };
type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> };

const WORKFLOWS = path.join(REPO_ROOT, '.github/workflows');
const workflows: Record<string, Workflow> = {};
const texts: Record<string, string> = {};

beforeAll(async () => {
  for (const file of (await fs.readdir(WORKFLOWS)).filter((f) => f.endsWith('.yml'))) {
    texts[file] = await fs.readFile(path.join(WORKFLOWS, file), 'utf8');
    workflows[file] = parse(texts[file]) as Workflow;
  }
});

const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps ?? []);

test('the four workflows exist', () => {
  expect(Object.keys(workflows).sort()).toEqual(['ci.yml', 'deploy.yml', 'images.yml', 'terraform.yml']);
});

test('every action is pinned to a full commit SHA', () => {
  const loose: string[] = [];
  for (const [file, wf] of Object.entries(workflows)) {
    for (const step of steps(wf)) {
      if (step.uses && !step.uses.startsWith('./') && !/@[0-9a-f]{40}$/.test(step.uses)) loose.push(`${file}: ${step.uses}`);
    }
  }
  expect(loose).toEqual([]);
});

test('CI runs .ci/run on Node 22 and 24', () => {
  const job = workflows['ci.yml']!.jobs.test!;
  expect(job.strategy?.matrix?.node).toEqual(['22', '24']);
  expect(job.steps!.map((s) => s.run).filter(Boolean)).toEqual(['bash .ci/run']);
  expect(job.steps!.find((s) => s.uses?.startsWith('actions/setup-node@'))!.with!['node-version']).toBe('${{ matrix.node }}');
});

test('CI audits the production dependencies, failing on high or critical advisories', () => {
  const job = workflows['ci.yml']!.jobs.audit!;
  expect(job.steps!.map((s) => s.run).filter(Boolean)).toEqual(['npm audit --omit=dev --audit-level=high']);
});

test('.ci/run runs the README\'s tests, then lint', () => {
  const commands = readFileSync(path.join(REPO_ROOT, '.ci/run'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('npm '));
  expect(commands).toEqual(['npm test', 'npm run lint']);
});

describe('Azure access is OIDC federation with ids only', () => {
  for (const file of ['images.yml', 'terraform.yml', 'deploy.yml']) {
    test(file, () => {
      const wf = workflows[file]!;
      expect(wf.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
      const logins = steps(wf).filter((s) => s.uses?.startsWith('azure/login@'));
      expect(logins.length).toBeGreaterThan(0);
      for (const login of logins) {
        expect(login.with).toEqual({
          'client-id': '${{ vars.AZURE_CLIENT_ID }}',
          'tenant-id': '${{ vars.AZURE_TENANT_ID }}',
          'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}',
        });
      }
    });
  }

  test('no workflow reads a stored secret or holds a credential', () => {
    for (const [file, text] of Object.entries(texts)) {
      expect([file, text.match(/secrets\.\w+/g)]).toEqual([file, null]);
      expect([file, text.match(/client-secret|password|creds:/gi)]).toEqual([file, null]);
    }
  });
});

test('images are built on main for the three apps and the migrations', () => {
  const wf = workflows['images.yml']!;
  expect(wf.on.push).toEqual({ branches: ['main'] });
  const include = wf.jobs.build!.strategy!.matrix!.include as { image: string }[];
  expect(include.map((i) => i.image).sort()).toEqual(['kineo-gateway', 'kineo-migrate', 'kineo-portal', 'kineo-worker']);
});

test('terraform: plans on pull requests touching terraform/, applies on main behind an environment', () => {
  const wf = workflows['terraform.yml']!;
  expect((wf.on.pull_request as { paths: string[] }).paths).toContain('terraform/**');
  const planRuns = wf.jobs.plan!.steps!.map((s) => s.run ?? '').join('\n');
  for (const command of ['terraform fmt -check', 'terraform validate', 'terraform plan']) expect(planRuns).toContain(command);
  expect(wf.jobs.plan!.if).toBe("github.event_name == 'pull_request'");
  expect(wf.jobs.apply!.if).toBe("github.event_name == 'push'");
  expect(wf.jobs.apply!.environment).toBe('terraform-${{ matrix.environment }}');
});

test('deploy: migrations first, then one app at a time with smoke test and rollback', async () => {
  const wf = workflows['deploy.yml']!;
  expect(wf.jobs.rollout!.needs).toBe('migrate');
  expect(wf.jobs.rollout!.strategy!.matrix!.app).toEqual(['gateway', 'worker', 'portal']);
  const rollout = await fs.readFile(path.join(REPO_ROOT, '.github/scripts/rollout-app.sh'), 'utf8');
  expect(rollout).toContain('/health');
  expect(rollout).toMatch(/traffic set[\s\S]*previous_revision=100/);
});

function shellScripts(): string[] {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !f.includes('node_modules/'));
  return files.filter((f) => {
    if (f.endsWith('.sh')) return true;
    if (path.extname(f) !== '') return false;
    try {
      return /^#!.*\b(ba)?sh\b/.test(readFileSync(path.join(REPO_ROOT, f), 'utf8').slice(0, 64));
    } catch {
      return false; // listed but deleted in the work tree
    }
  });
}

test('every shell script in the repository passes shellcheck', () => {
  const scripts = shellScripts();
  expect(scripts).toEqual(expect.arrayContaining(['.ci/run', 'scripts/setup.sh', '.github/scripts/rollout-app.sh']));
  let findings = '';
  try {
    execFileSync('shellcheck', ['--severity=style', ...scripts], { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const e = error as { code?: string; stdout?: string; message: string };
    if (e.code === 'ENOENT') throw new Error('shellcheck is not installed: run `npm run setup` (scripts/setup.sh installs it)');
    findings = e.stdout || e.message;
  }
  expect(findings).toBe('');
});
