import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { writeExport } from './export-fixture';
import { runCli, runCliWithInput, type CliResult } from './run-cli';
import { startWorkerProcess, stopProcess } from './worker-process';

// Two tiny tenants on one stack: every CLI command that takes a tenant is tried against the other
// one's slug, id, namespace, files and SQL names; then every line the CLI and the worker printed
// is searched for the credentials the flow used.
describe('kineo keeps each tenant to itself, and prints no credential', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let worker: ChildProcess | undefined;
  const workerLog: string[] = [];
  const printed: string[] = [];
  const passwords = ['acme-admin-password-1f9c', 'globex-admin-password-7d2e'];
  let globex: { id: string; namespace: string };

  /** Runs kineo and keeps what it printed for the credential search. */
  async function kineo(args: string[], env = stack.env, input?: string): Promise<CliResult> {
    const result = input === undefined ? await runCli(args, env) : await runCliWithInput(args, env, input);
    printed.push(result.stdout, result.stderr);
    return result;
  }
  /**
   * Refused: a non-zero exit with the message on stderr, nothing on stdout, and nothing of globex
   * (its rows, id, namespace, or a data path) that the caller did not type in `args` themselves.
   */
  function expectRefused(result: CliResult, message: RegExp, args: string[]) {
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    for (const leak of ['Zebulon', globex.id, globex.namespace, stack.env.KINEO_DATA_DIR!]) {
      if (!args.some((a) => a.includes(leak))) expect(result.stderr).not.toContain(leak);
    }
  }

  beforeAll(async () => {
    stack = await startTestStack({ postgresPassword: 'pg-password-3b7a5e' });
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 1 });
    worker = await startWorkerProcess(stack.env, (chunk) => workerLog.push(chunk));
    const created = await Promise.all(['acme', 'globex'].map((slug) => kineo(['tenant', 'create', slug, '--name', slug, '--wait'])));
    expect(created.map((r) => r.code)).toEqual([0, 0]);
    // globex's one learner has a name found nowhere in acme's data.
    const exports = {
      acme: writeExport(path.join(stack.dir, 'acme-export')),
      globex: writeExport(path.join(stack.dir, 'globex-export'), {
        'users.csv': [
          'id,username,idnumber,firstname,lastname,email,department,city,country,timezone,suspended,deleted,timecreated,lastaccess',
          '1,boss,,Zebulon,Secret,z@globex.example,,,,99,0,0,1700000000,0',
          '2,ann,,Zebulon,Two,z2@globex.example,,,,99,0,0,1700000000,0',
          '3,ben,,Zebulon,Three,z3@globex.example,,,,99,0,0,1700000000,0',
        ],
      }),
    };
    const loads = await Promise.all(['acme', 'globex'].map((slug) => kineo(['ingest', slug, exports[slug as 'acme' | 'globex'], '--json'])));
    expect(loads.map((r) => r.code)).toEqual([0, 0]);
    const users = await Promise.all(
      ['acme', 'globex'].map((slug, i) => kineo(['user', 'create', `admin@${slug}.test`, '--tenant', slug, '--role', 'org_admin', '--password-stdin'], stack.env, passwords[i])),
    );
    expect(users.map((r) => r.code)).toEqual([0, 0]);
    globex = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' }, select: { id: true, namespace: true } });
    // A stack, the worker and seven kineo processes (two loads through every stage): well over the
    // default two minutes on a loaded 2-core machine.
  }, 300_000);

  afterAll(async () => {
    await stopProcess(worker);
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it('finds no tenant by another name than its slug: not its id, its namespace, another case or a path', async () => {
    // Each command that takes a tenant, each given globex under another name than its slug.
    const attempts = [
      ['tenant', 'show', globex.id],
      ['sql', globex.namespace, 'select count(*) from gold.dim_user'],
      ['ingest', 'GLOBEX', path.join(stack.dir, 'acme-export')],
      ['tenant', 'retention', '../globex', '3'],
      ['user', 'list', '--tenant', ' globex'],
      ['user', 'create', 'intruder@acme.test', '--tenant', "acme' or '1'='1", '--role', 'org_admin', '--password', 'long enough password 1'],
    ];
    const results = await Promise.all(attempts.map((args) => kineo(args)));
    results.forEach((result, i) => expectRefused(result, /No tenant with slug|slug/i, attempts[i]!));
    expect(await prisma.user.count({ where: { email: 'intruder@acme.test' } })).toBe(0);
  });

  it("shows and lists only the named tenant's own runs, audit and people", async () => {
    const show = await kineo(['tenant', 'show', 'acme', '--json']);
    const users = await kineo(['user', 'list', '--tenant', 'acme', '--json']);

    expect(show.code).toBe(0);
    const summary = JSON.parse(show.stdout) as { ingestionRuns: { id: string }[] };
    const globexRuns = await prisma.ingestionRun.findMany({ where: { tenantId: globex.id }, select: { id: true } });
    for (const run of globexRuns) expect(show.stdout).not.toContain(run.id);
    expect(summary.ingestionRuns).toHaveLength(1);
    expect(show.stdout).not.toContain(globex.id);
    expect(users.stdout).toContain('admin@acme.test');
    expect(users.stdout).not.toContain('globex');
  });

  it("refuses SQL naming another tenant's namespace, files or folders, and returns none of its rows", async () => {
    const warehouse = path.join(stack.env.KINEO_DATA_DIR!, 'warehouse', globex.namespace);
    const statements: [string, string[]][] = [
      [`select * from ${globex.namespace}.gold.dim_user`, []],
      [`select * from "${globex.namespace}".main.dim_user`, []],
      [`select * from '${path.join(warehouse, 'work.duckdb')}'`, ['--layer', 'silver']],
      [`select * from read_csv('${path.join(stack.dir, 'globex-export', 'users.csv')}')`, ['--layer', 'bronze']],
      [`attach '${path.join(warehouse, 'work.duckdb')}' as g`, []],
    ];
    const results = await Promise.all(statements.map(([sql, layer]) => kineo(['sql', 'acme', ...layer, sql])));
    results.forEach((result, i) => expectRefused(result, /Refused|not a table|not allowed|Permission|outside/i, [statements[i]![0]]));
    // The same statement shape on acme's own tables answers: the refusals above are about whose data.
    const own = await kineo(['sql', 'acme', 'select count(*) as n from gold.dim_user', '--json']);
    expect(own.code).toBe(0);
    expect(JSON.parse(own.stdout.trim())).toEqual({ n: expect.any(Number) });
  });

  it("refuses to ingest into one tenant a file from another tenant's landing or warehouse folder, linking nothing", async () => {
    // A drop globex's LMS left in its landing folder (the landing scan has not picked it up: no READY).
    const incoming = path.join(stack.env.KINEO_DATA_DIR!, 'landing', globex.namespace, 'incoming');
    writeExport(incoming);
    const acmeLanding = path.join(stack.env.KINEO_DATA_DIR!, 'landing', (await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } })).namespace);
    const before = fs.existsSync(acmeLanding) ? fs.readdirSync(acmeLanding) : [];
    const link = path.join(stack.dir, 'innocent-looking-folder');
    fs.symlinkSync(incoming, link);

    const results = await Promise.all(
      [path.join(incoming, 'users.csv'), link].map((target) => kineo(['ingest', 'acme', target, path.join(stack.dir, 'acme-export'), '--no-wait'])),
    );
    for (const result of results) {
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/is in the data directory's landing folder, outside the landing folder of "acme"; ingest export files from elsewhere/);
    }
    expect(fs.existsSync(acmeLanding) ? fs.readdirSync(acmeLanding) : []).toEqual(before);
  });

  it("refuses a file over the tenant's plan's upload limit, naming the file, its size and the limit, before copying it", async () => {
    await prisma.plan.create({ data: { code: 'pilot', name: 'Pilot', seatLimit: 10, rowLimit: 1000, uploadLimitBytes: 100, features: [] } });
    const acme = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
    await prisma.subscription.updateMany({ where: { tenantId: acme.id }, data: { planCode: 'pilot' } });
    try {
      const dir = writeExport(path.join(stack.dir, 'acme-export-big'));
      const bytes = fs.statSync(path.join(dir, 'course_completions.csv')).size;
      const result = await kineo(['ingest', 'acme', dir, '--no-wait']);
      const show = await kineo(['tenant', 'show', 'acme']);

      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(
        `The file "course_completions.csv" is ${bytes} bytes, over the upload limit of 100 bytes for the pilot plan; nothing from this upload was kept.`,
      );
      expect(await prisma.ingestionRun.count({ where: { tenantId: acme.id } })).toBe(1);
      expect(show.stdout).toMatch(/upload limit\s+100 bytes per file \(the plan's\)/);
    } finally {
      await prisma.subscription.updateMany({ where: { tenantId: acme.id }, data: { planCode: 'starter' } });
    }
  });

  it('prints no connection string password when the metadata database cannot be reached', async () => {
    const url = new URL(stack.databaseUrl);
    url.port = '1';
    const result = await kineo(['tenant', 'list'], { ...stack.env, DATABASE_URL: url.toString() });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/metadata database/i);
  });

  it('printed, and logged in the worker, none of the passwords, connection string passwords or secrets the flow used', () => {
    const secrets = [...passwords, decodeURIComponent(new URL(stack.databaseUrl).password)];
    const redisPassword = new URL(stack.redisUrl).password;
    if (redisPassword) secrets.push(decodeURIComponent(redisPassword));
    const jwtSecret = path.join(stack.dir, 'secrets', 'auth-jwt-secret');
    if (fs.existsSync(jwtSecret)) secrets.push(fs.readFileSync(jwtSecret, 'utf8').trim());
    expect(secrets.every((s) => s.length >= 8)).toBe(true);
    const output = { cli: printed.join('\n'), worker: workerLog.join('') };
    expect(output.worker).toMatch(/worker ready/);
    for (const [where, text] of Object.entries(output)) {
      for (const secret of secrets) expect({ where, leaked: text.includes(secret) ? secret : null }).toEqual({ where, leaked: null });
    }
  });
});
