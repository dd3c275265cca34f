import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { UserService } from '@kineo/auth';
import { createPrismaClient, StageRecorder, TenantService, type PrismaClient, type Tenant } from '@kineo/db';
import { BUILD_STAGE_NAMES, buildStageJob, JobQueues, LOAD_STAGES } from '@kineo/jobs';
import { ingestFiles, startTestStack, type TestStack } from '@kineo/testkit';
import { createSecretStore, loadSettings } from '@kineo/config';
import { createWarehouse } from '@kineo/warehouse';
import fs from 'node:fs';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { graphql, startGateway } from './support/gateway';

const PASSWORD = 'correct horse battery staple';

type Errors = Array<{ message: string; extensions?: Record<string, unknown> }>;
const codes = (errors: Errors | undefined) => (errors ?? []).map((e) => e.extensions?.code);

describe("an org admin's loads, settings and rebuilds over GraphQL", () => {
  let stack: TestStack;
  let app: NestFastifyApplication;
  let prisma: PrismaClient;
  let acme: Tenant;
  let adminId: string;
  let globexAdminId: string;
  const tokens: Record<string, string> = {};
  const loadIds: string[] = [];

  const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });

  async function upload(files: Record<string, string>): Promise<string> {
    const boundary = `----kineo${randomBytes(8).toString('hex')}`;
    const parts = Object.entries(files).map(
      ([name, content]) => `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n${content}\r\n`,
    );
    const response = await app.inject({
      method: 'POST',
      url: '/uploads',
      payload: `${parts.join('')}--${boundary}--\r\n`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, ...as('admin') },
    });
    expect(response.statusCode).toBe(202);
    return (response.json() as { ingestionRunId: string }).ingestionRunId;
  }

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    const tenants = new TenantService(prisma);
    for (const slug of ['acme', 'globex']) {
      const tenant = await tenants.create({ slug, name: slug, actor: 'test' });
      await tenants.markActive(tenant.id, 'test');
    }
    acme = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } });
    const users = new UserService(prisma);
    adminId = (await users.create({ email: 'admin@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'org_admin' }, actor: 'test' })).user.id;
    await users.create({ email: 'viewer@acme.test', password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
    globexAdminId = (await users.create({ email: 'admin@globex.test', password: PASSWORD, grant: { tenantSlug: 'globex', role: 'org_admin' }, actor: 'test' })).user.id;
    app = await startGateway(stack);
    for (const [who, email] of [['admin', 'admin@acme.test'], ['viewer', 'viewer@acme.test'], ['globex', 'admin@globex.test']] as const) {
      const reply = await graphql<{ login: { token: string } }>(app, `mutation { login(email: "${email}", password: "${PASSWORD}") { token } }`);
      tokens[who] = reply.body.data!.login.token;
    }
    loadIds.push(await upload({ 'users.csv': 'id,username\n1,a\n' }));
    loadIds.push(await upload({ 'users.csv': 'id,username\n1,a\n2,b\n', 'courses.csv': 'id,fullname\n9,Safety\n' }));
    loadIds.push(await upload({ 'courses.csv': 'id,fullname\n9,Safety\n' }));
  });

  afterAll(async () => {
    await app?.close();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it('lists loads newest first, a page at a time, each with its files and its build planned stage by stage', async () => {
    type Loads = { loads: { items: { id: string; status: string; source: string; files: { file: string }[]; build: { kind: string; status: string; progress: number; stages: { stage: string; status: string }[] } }[]; endCursor: string; hasNextPage: boolean } };
    const query = (after?: string) =>
      `{ loads(first: 2${after ? `, after: ${JSON.stringify(after)}` : ''}) { items { id status source files { file } build { kind status progress stages { stage status } } } endCursor hasNextPage } }`;
    const first = await graphql<Loads>(app, query(), as('admin'));
    const second = await graphql<Loads>(app, query(first.body.data!.loads.endCursor), as('admin'));

    expect(first.body.data!.loads.items.map((l) => l.id)).toEqual([loadIds[2], loadIds[1]]);
    expect(first.body.data!.loads.hasNextPage).toBe(true);
    expect(first.body.data!.loads.items[1]).toMatchObject({
      status: 'queued',
      source: 'upload',
      files: expect.arrayContaining([{ file: 'users.csv' }, { file: 'courses.csv' }]),
      build: { kind: 'load', status: 'queued', progress: 0, stages: LOAD_STAGES.map((stage) => ({ stage, status: 'pending' })) },
    });
    expect(second.body.data!.loads).toMatchObject({ items: [{ id: loadIds[0] }], hasNextPage: false, endCursor: null });
  });

  it("shows one load to its own org admin only; another tenant's load is not found", async () => {
    const own = await graphql<{ load: { id: string } }>(app, `{ load(id: "${loadIds[0]}") { id } }`, as('admin'));
    const other = await graphql(app, `{ load(id: "${loadIds[0]}") { id } }`, as('globex'));
    const viewer = await graphql(app, `{ load(id: "${loadIds[0]}") { id } }`, as('viewer'));

    expect(own.body.data).toEqual({ load: { id: loadIds[0] } });
    expect(other.body.errors).toEqual([expect.objectContaining({ message: `No load with id "${loadIds[0]}" in this organisation.`, extensions: { code: 'LOAD_NOT_FOUND' } })]);
    expect(codes(viewer.body.errors)).toEqual(['FORBIDDEN']);
  });

  it('changes the fiscal-year start of an organisation with nothing published without asking to confirm (audited with the admin as actor), and refuses a month out of range', async () => {
    const changed = await graphql<{ updateFiscalYearStart: { fiscalYearStartMonth: number } }>(app, 'mutation { updateFiscalYearStart(month: 7) { fiscalYearStartMonth } }', as('admin'));
    const bad = await graphql(app, 'mutation { updateFiscalYearStart(month: 13) { fiscalYearStartMonth } }', as('admin'));
    const settings = await graphql<{ tenantSettings: unknown }>(app, '{ tenantSettings { slug fiscalYearStartMonth dataVersion } }', as('admin'));
    const viewer = await graphql(app, 'mutation { updateFiscalYearStart(month: 3, confirmHistoryReset: true) { fiscalYearStartMonth } }', as('viewer'));
    // Every session of the organisation reads the new start at once: the portal's "this fiscal year" follows it.
    const viewerMe = await graphql<{ me: { fiscalYearStartMonth: number | null } }>(app, '{ me { fiscalYearStartMonth } }', as('viewer'));

    expect(changed.body.data).toEqual({ updateFiscalYearStart: { fiscalYearStartMonth: 7 } });
    expect(viewerMe.body.data).toEqual({ me: { fiscalYearStartMonth: 7 } });
    expect(bad.body.errors).toEqual([expect.objectContaining({ message: 'Fiscal-year start month must be 1 to 12, got 13.', extensions: { code: 'TENANT_FISCAL_MONTH_INVALID' } })]);
    expect(codes(viewer.body.errors)).toEqual(['FORBIDDEN']);
    expect(settings.body.data).toEqual({ tenantSettings: { slug: 'acme', fiscalYearStartMonth: 7, dataVersion: 0 } });
    const events = await prisma.auditEvent.findMany({ where: { tenantId: acme.id, action: 'tenant.fiscal_year_start_changed' } });
    expect(events).toEqual([expect.objectContaining({ actor: adminId, details: { from: 1, to: 7, historyResetConfirmed: false } })]);
  });

  describe('once the organisation has published data', () => {
    const fiscalEvents = async (tenantId: string) => prisma.auditEvent.findMany({ where: { tenantId, action: 'tenant.fiscal_year_start_changed' } });
    const month = async () => (await graphql<{ tenantSettings: { fiscalYearStartMonth: number } }>(app, '{ tenantSettings { fiscalYearStartMonth } }', as('globex'))).body.data!.tenantSettings.fiscalYearStartMonth;
    let globex: Tenant;

    beforeAll(async () => {
      // What the worker's publish leaves in the metadata: a succeeded build and the tenant's version moved to it.
      globex = await prisma.tenant.findUniqueOrThrow({ where: { slug: 'globex' } });
      await prisma.buildRun.create({ data: { tenantId: globex.id, kind: 'build', status: 'succeeded', dataVersion: 1, asOf: new Date() } });
      await prisma.tenant.update({ where: { id: globex.id }, data: { dataVersion: 1 } });
    });

    it('refuses a new fiscal-year start sent without confirmHistoryReset, saying what the next build would do to the history and how to go ahead, and changes nothing', async () => {
      const refused = await graphql(app, 'mutation { updateFiscalYearStart(month: 4) { fiscalYearStartMonth } }', as('globex'));
      const refusedExplicitly = await graphql(app, 'mutation { updateFiscalYearStart(month: 4, confirmHistoryReset: false) { fiscalYearStartMonth } }', as('globex'));

      const message =
        'Tenant "globex" has published data, and moving its fiscal-year start from January to April resets its fiscal-year history: ' +
        'the next build renumbers the fiscal years and rebuilds every closed year from completion dates (completions only, without completion or overdue rates), ' +
        'and follows the current year from that build on. The history recorded so far is archived, not deleted. Send confirmHistoryReset: true to change it.';
      expect(refused.body.data).toBeNull();
      expect(refused.body.errors).toEqual([expect.objectContaining({ message, extensions: { code: 'CONFIRMATION_REQUIRED' } })]);
      expect(refusedExplicitly.body.errors).toEqual([expect.objectContaining({ message, extensions: { code: 'CONFIRMATION_REQUIRED' } })]);
      expect(await month()).toBe(1);
      expect(await fiscalEvents(globex.id)).toEqual([]);
    });

    it('answers the month it already is with the settings, recording no change', async () => {
      const same = await graphql<{ updateFiscalYearStart: { fiscalYearStartMonth: number } }>(app, 'mutation { updateFiscalYearStart(month: 1) { fiscalYearStartMonth } }', as('globex'));

      expect(same.body).toEqual({ data: { updateFiscalYearStart: { fiscalYearStartMonth: 1 } } });
      expect(await fiscalEvents(globex.id)).toEqual([]);
    });

    it('changes it once the history reset is confirmed, and audits the change as confirmed', async () => {
      const changed = await graphql<{ updateFiscalYearStart: { fiscalYearStartMonth: number } }>(
        app,
        'mutation { updateFiscalYearStart(month: 4, confirmHistoryReset: true) { fiscalYearStartMonth } }',
        as('globex'),
      );
      const again = await graphql(app, 'mutation { updateFiscalYearStart(month: 4, confirmHistoryReset: true) { fiscalYearStartMonth } }', as('globex'));

      expect(changed.body).toEqual({ data: { updateFiscalYearStart: { fiscalYearStartMonth: 4 } } });
      expect(again.body.errors).toBeUndefined();
      expect(await month()).toBe(4);
      expect(await fiscalEvents(globex.id)).toEqual([expect.objectContaining({ actor: globexAdminId, details: { from: 1, to: 4, historyResetConfirmed: true } })]);
    });

    it('refuses a change confirmed from a month that is no longer the start (a second tab still showing January), saying what it is now, and changes nothing', async () => {
      const rebuilds = () => prisma.buildRun.count({ where: { tenantId: globex.id, kind: 'rebuild' } });
      const rebuildsBefore = await rebuilds();
      const stale = await graphql(app, 'mutation { updateFiscalYearStart(month: 6, confirmHistoryReset: true, fromMonth: 1) { fiscalYearStartMonth } }', as('globex'));
      const current = await graphql(app, 'mutation { updateFiscalYearStart(month: 4, fromMonth: 1) { fiscalYearStartMonth } }', as('globex'));

      const message = 'The fiscal year start was changed to April since this page loaded (by someone else, or in another tab); nothing was changed. Review it and confirm again.';
      expect(stale.body.data).toBeNull();
      expect(stale.body.errors).toEqual([expect.objectContaining({ message, extensions: { code: 'CHANGED_MEANWHILE' } })]);
      // Even asking for the month it now is: the admin confirmed a change from January, which is not what would happen.
      expect(current.body.errors).toEqual([expect.objectContaining({ message, extensions: { code: 'CHANGED_MEANWHILE' } })]);
      expect(await month()).toBe(4);
      expect(await fiscalEvents(globex.id)).toHaveLength(1);
      expect(await rebuilds()).toBe(rebuildsBefore);

      // Read again, the change from April goes through.
      const confirmed = await graphql(app, 'mutation { updateFiscalYearStart(month: 6, confirmHistoryReset: true, fromMonth: 4) { fiscalYearStartMonth } }', as('globex'));
      expect(confirmed.body).toEqual({ data: { updateFiscalYearStart: { fiscalYearStartMonth: 6 } } });
      expect((await fiscalEvents(globex.id)).map((e) => e.details)).toEqual([expect.objectContaining({ from: 1, to: 4 }), expect.objectContaining({ from: 4, to: 6 })]);
    });
  });

  it('refuses a rebuild before any load has reached bronze, queuing nothing, and says why in the settings before it is asked for', async () => {
    type Settings = { tenantSettings: { rebuildUnavailable: string | null; lastRebuild: { id: string } | null } };
    const before = await graphql<Settings>(app, '{ tenantSettings { rebuildUnavailable lastRebuild { id } } }', as('admin'));
    const reply = await graphql(app, 'mutation { rebuild { buildRunId } }', as('admin'));

    const why = 'Nothing has been loaded yet, so there is nothing to rebuild; upload the export files first.';
    expect(before.body.data!.tenantSettings).toEqual({ rebuildUnavailable: why, lastRebuild: null });
    expect(reply.body.errors).toEqual([expect.objectContaining({ message: why, extensions: { code: 'NO_DATA' } })]);
    expect(await prisma.buildRun.count({ where: { tenantId: acme.id, kind: 'rebuild' } })).toBe(0);
  });

  it("shows its org admin a stage's warnings next to its status, and an empty list where a stage had none", async () => {
    const build = await prisma.buildRun.findFirstOrThrow({ where: { ingestionRunId: loadIds[0] } });
    const recorder = await StageRecorder.resume(prisma, build.id);
    const warning = 'Working table gold.fact_enrolment could not be restored to version 7: RESTORE failed twice.';
    await recorder.stage('ingest', async () => ({ result: null, warnings: [warning] }));

    type Shown = { load: { build: { stages: { stage: string; status: string; warnings: string[] }[] } } };
    const reply = await graphql<Shown>(app, `{ load(id: "${loadIds[0]}") { build { stages { stage status warnings } } } }`, as('admin'));

    expect(reply.body.errors).toBeUndefined();
    const [ingest, ...rest] = reply.body.data!.load.build.stages;
    expect(ingest).toEqual({ stage: 'ingest', status: 'succeeded', warnings: [warning] });
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((s) => s.warnings.length === 0)).toBe(true);
  });

  describe('the quarantine report', () => {
    const HEADERS: Record<string, string[]> = {
      users: ['id', 'username', 'idnumber', 'firstname', 'lastname', 'email', 'department', 'city', 'country', 'timezone', 'suspended', 'deleted', 'timecreated', 'lastaccess'],
      job_assignments: ['id', 'userid', 'idnumber', 'fullname', 'sortorder', 'managerjaid', 'tempmanagerjaid', 'tempmanagerexpirydate', 'organisationid', 'positionid', 'startdate', 'enddate'],
      courses: ['id', 'fullname', 'shortname', 'idnumber', 'category', 'coursetype', 'visible', 'startdate', 'enablecompletion'],
      course_completions: ['id', 'userid', 'course', 'timeenrolled', 'timestarted', 'timecompleted', 'status', 'rplgrade', 'organisationid', 'positionid'],
    };
    const row = (name: string, first: string) => [first, ...HEADERS[name]!.slice(1).map((column) => (column === 'status' ? '50' : '1'))].join(',');
    let loadId: string;

    beforeAll(async () => {
      const files: Record<string, string> = {};
      for (const name of Object.keys(HEADERS)) files[`${name}.csv`] = `${HEADERS[name]!.join(',')}\n${row(name, '1')}\n`;
      // Line 3: an id that is no number; line 4: too few columns, with a quote to escape in the CSV.
      files['users.csv'] += `${row('users', 'abc')}\n2,"short, ""quoted"""\n`;
      loadId = await upload(files);
      // The worker's ingest step, run here on the real DuckDB warehouse so the suite needs no worker process.
      const settings = loadSettings(stack.env);
      const warehouse = await createWarehouse(settings, createSecretStore(settings), 'worker');
      const ref = { tenantId: acme.id, namespace: acme.namespace };
      try {
        await warehouse.provision(ref);
        const folder = path.join(stack.env.KINEO_DATA_DIR!, 'landing', acme.namespace, loadId);
        const landed = fs.readdirSync(folder).map((name) => ({ name, path: path.join(folder, name) }));
        const report = await ingestFiles(warehouse, ref, landed, { batchId: loadId, source: 'upload' });
        await prisma.ingestionRun.update({ where: { id: loadId }, data: { status: 'succeeded', rowsQuarantined: report.rowsQuarantined } });
      } finally {
        await warehouse.close();
      }
    });

    it('pages the quarantined rows by file and line with their reasons', async () => {
      type Rows = { quarantine: { items: { file: string; line: number; reason: string; raw: string }[]; endCursor: string | null; hasNextPage: boolean } };
      const first = await graphql<Rows>(app, `{ quarantine(loadId: "${loadId}", first: 1) { items { file line reason raw } endCursor hasNextPage } }`, as('admin'));
      const cursor = JSON.stringify(first.body.data!.quarantine.endCursor);
      const second = await graphql<Rows>(app, `{ quarantine(loadId: "${loadId}", first: 5, after: ${cursor}) { items { file line } endCursor hasNextPage } }`, as('admin'));
      const otherFile = await graphql<Rows>(app, `{ quarantine(loadId: "${loadId}", file: "courses.csv") { items { line } } }`, as('admin'));

      expect(first.body.errors).toBeUndefined();
      expect(first.body.data!.quarantine).toMatchObject({ items: [{ file: 'users.csv', line: 3, reason: expect.stringMatching(/id/) }], hasNextPage: true });
      expect(first.body.data!.quarantine.items[0]!.raw).toContain('abc');
      expect(second.body.data!.quarantine).toEqual({ items: [{ file: 'users.csv', line: 4 }], endCursor: null, hasNextPage: false });
      expect(otherFile.body.data!.quarantine.items).toEqual([]);
    });

    it('refuses a file the load does not have, naming the argument and the files it has', async () => {
      const reply = await graphql(app, `{ quarantine(loadId: "${loadId}", file: "nosuch.csv") { items { line } } }`, as('admin'));

      expect(reply.body.errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(new RegExp(`^"file" names no file of load ${loadId}: "nosuch.csv". Its files are (\\w+\\.csv, ){3}\\w+\\.csv\\.$`)),
          extensions: { code: 'BAD_USER_INPUT', argument: 'file' },
        }),
      ]);
    });

    it("answers a rebuild asked for while a load's build is under way with that build, queuing nothing", async () => {
      type Asked = { rebuild: { buildRunId: string; alreadyUnderWay: boolean; kind: string; queuedAt: string; asOf: string } };
      const loadBuild = await prisma.buildRun.findFirstOrThrow({ where: { ingestionRunId: loadId } });
      const asked = await graphql<Asked>(app, 'mutation { rebuild { buildRunId alreadyUnderWay kind queuedAt asOf } }', as('admin'));

      expect(asked.body).toEqual({
        data: { rebuild: { buildRunId: loadBuild.id, alreadyUnderWay: true, kind: 'load', queuedAt: loadBuild.createdAt.toISOString(), asOf: loadBuild.asOf!.toISOString() } },
      });
      expect(await prisma.buildRun.count({ where: { tenantId: acme.id, kind: 'rebuild' } })).toBe(0);
      expect(await prisma.auditEvent.count({ where: { tenantId: acme.id, action: 'build.requested' } })).toBe(0);
      // No worker here: the loads' builds are ended by hand, after which a rebuild is queued.
      await prisma.buildRun.updateMany({ where: { tenantId: acme.id, kind: 'load' }, data: { status: 'failed', finishedAt: new Date() } });
    });

    it('lets its org admin follow the rebuild they asked for in the settings: queued stage by stage, then why it failed, and the version the next one published', async () => {
      type Run = { id: string; status: string; dataVersion: number | null; error: string | null; stages: { stage: string; status: string }[] };
      type Settings = { tenantSettings: { dataVersion: number; rebuildUnavailable: string | null; lastRebuild: Run | null } };
      const settings = async () =>
        (await graphql<Settings>(app, '{ tenantSettings { dataVersion rebuildUnavailable lastRebuild { id status dataVersion error stages { stage status } } } }', as('admin'))).body.data!
          .tenantSettings;
      const asked = await graphql<{ rebuild: { buildRunId: string } }>(app, 'mutation { rebuild { buildRunId } }', as('admin'));
      const { buildRunId } = asked.body.data!.rebuild;

      const queued = await settings();
      expect(queued.rebuildUnavailable).toBeNull();
      expect(queued.lastRebuild).toMatchObject({ id: buildRunId, status: 'queued', dataVersion: null, error: null });
      expect(queued.lastRebuild!.stages).toEqual(BUILD_STAGE_NAMES.map((stage) => ({ stage, status: 'pending' })));

      // The worker's record of a failure reaches the page that follows it.
      const failing = await StageRecorder.resume(prisma, buildRunId);
      await failing.fail(new Error('gold: the disk is full'));
      expect((await settings()).lastRebuild).toMatchObject({ id: buildRunId, status: 'failed', error: expect.stringContaining('the disk is full') });

      // Asked again, and published: the settings name the new version and the run that published it.
      const again = (await graphql<{ rebuild: { buildRunId: string } }>(app, 'mutation { rebuild { buildRunId } }', as('admin'))).body.data!.rebuild.buildRunId;
      const published = await StageRecorder.resume(prisma, again);
      await published.finish({ status: 'succeeded', dataVersion: 1 });
      await prisma.tenant.update({ where: { id: acme.id }, data: { dataVersion: 1 } });
      expect(await settings()).toMatchObject({ dataVersion: 1, lastRebuild: { id: again, status: 'succeeded', dataVersion: 1 } });
      await prisma.tenant.update({ where: { id: acme.id }, data: { dataVersion: 0 } });
    });

    it('queues one rebuild for requests at once (two tabs, a double-click), answering each with it, and the same while it is queued or running', async () => {
      type Asked = { rebuild: { buildRunId: string; alreadyUnderWay: boolean; kind: string } };
      const ask = () => graphql<Asked>(app, 'mutation { rebuild { buildRunId alreadyUnderWay kind } }', as('admin'));
      const rebuilds = () => prisma.buildRun.findMany({ where: { tenantId: acme.id, kind: 'rebuild' }, orderBy: { createdAt: 'asc' } });
      const queues = new JobQueues(stack.redisUrl);
      try {
        for (let round = 0; round < 3; round++) {
          const before = (await rebuilds()).length;
          const answers = await Promise.all(Array.from({ length: 4 }, () => ask()));

          const runs = await rebuilds();
          expect(runs).toHaveLength(before + 1);
          const run = runs[runs.length - 1]!;
          expect(answers.every((a) => a.body.errors === undefined && a.body.data!.rebuild.buildRunId === run.id && a.body.data!.rebuild.kind === 'rebuild')).toBe(true);
          // One queued it; the others were told it was already under way.
          expect(answers.map((a) => a.body.data!.rebuild.alreadyUnderWay).sort()).toEqual([false, true, true, true]);
          expect(await prisma.auditEvent.count({ where: { tenantId: acme.id, action: 'build.requested', details: { path: ['buildRunId'], equals: run.id } } })).toBe(1);
          // Its flow, stage by stage.
          const jobs = await queues.queue(buildStageJob.queue).getJobs(['waiting', 'waiting-children', 'prioritized', 'delayed', 'active']);
          expect(jobs.map((j) => j.id).filter((id) => id!.startsWith(run.id)).sort()).toEqual(BUILD_STAGE_NAMES.map((stage) => `${run.id}-${stage}`).sort());

          // Running: asked again, the same run.
          await StageRecorder.resume(prisma, run.id);
          expect((await ask()).body.data!.rebuild).toEqual({ buildRunId: run.id, alreadyUnderWay: true, kind: 'rebuild' });
          // Ended: the next request queues the next rebuild.
          await (await StageRecorder.resume(prisma, run.id)).fail(new Error('ended by the test'));
        }
      } finally {
        await queues.close();
      }
    });

    it('queues a rebuild that follows a build started before the fiscal year was changed, says which, and answers a further request with it', async () => {
      type Asked = {
        rebuild: {
          buildRunId: string;
          alreadyUnderWay: boolean;
          kind: string;
          fiscalYearStartMonth: number;
          follows: { buildRunId: string; kind: string; status: string; fiscalYearStartMonth: number | null } | null;
        };
      };
      const ask = () => graphql<Asked>(app, 'mutation { rebuild { buildRunId alreadyUnderWay kind fiscalYearStartMonth follows { buildRunId kind status fiscalYearStartMonth } } }', as('admin'));
      const { fiscalYearStartMonth: before } = await prisma.tenant.findUniqueOrThrow({ where: { id: acme.id } });
      const changed = before === 3 ? 4 : 3;
      const queues = new JobQueues(stack.redisUrl);
      try {
        // A rebuild whose first stage has started, fixing the start as it was.
        const running = (await ask()).body.data!.rebuild;
        expect(running).toEqual({ buildRunId: expect.any(String), alreadyUnderWay: false, kind: 'rebuild', fiscalYearStartMonth: before, follows: null });
        const recorder = await StageRecorder.resume(prisma, running.buildRunId);
        expect(await recorder.fixFiscalYearStart(before)).toBe(before);
        await prisma.tenant.update({ where: { id: acme.id }, data: { fiscalYearStartMonth: changed } });

        const follower = (await ask()).body.data!.rebuild;
        expect(follower).toEqual({
          buildRunId: expect.any(String),
          alreadyUnderWay: false,
          kind: 'rebuild',
          fiscalYearStartMonth: changed,
          follows: { buildRunId: running.buildRunId, kind: 'rebuild', status: 'running', fiscalYearStartMonth: before },
        });
        expect(follower.buildRunId).not.toBe(running.buildRunId);
        // Queued to run after it, not beside it.
        const jobs = await queues.queue(buildStageJob.queue).getJobs(['waiting', 'waiting-children', 'prioritized', 'delayed', 'active']);
        expect(jobs.filter((j) => j.id!.startsWith(follower.buildRunId))).toEqual([]);
        // Asked again while it waits: the follower answers.
        expect((await ask()).body.data!.rebuild).toEqual({ ...follower, alreadyUnderWay: true });
        type Settings = { tenantSettings: { lastRebuild: { id: string; status: string; followsBuildRunId: string | null; fiscalYearStartMonth: number | null } } };
        const settings = await graphql<Settings>(app, '{ tenantSettings { lastRebuild { id status followsBuildRunId fiscalYearStartMonth } } }', as('admin'));
        expect(settings.body.data!.tenantSettings.lastRebuild).toEqual({ id: follower.buildRunId, status: 'queued', followsBuildRunId: running.buildRunId, fiscalYearStartMonth: null });
      } finally {
        await prisma.buildRun.updateMany({ where: { tenantId: acme.id, kind: 'rebuild', status: { in: ['queued', 'running'] } }, data: { status: 'failed', finishedAt: new Date() } });
        await prisma.tenant.update({ where: { id: acme.id }, data: { fiscalYearStartMonth: before } });
        await queues.close();
      }
    });

    it("downloads them as CSV to the tenant's org admin only, and audits the download", async () => {
      const response = await app.inject({ method: 'GET', url: `/loads/${loadId}/quarantine.csv`, headers: as('admin') });
      const otherTenant = await app.inject({ method: 'GET', url: `/loads/${loadId}/quarantine.csv`, headers: as('globex') });
      const viewer = await app.inject({ method: 'GET', url: `/loads/${loadId}/quarantine.csv`, headers: as('viewer') });

      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      const lines = response.body.trimEnd().split('\r\n');
      // After the byte-order mark Excel needs to read the report as UTF-8.
      expect(lines[0]).toBe('\uFEFFfile,line,reason,raw');
      expect(lines).toHaveLength(3);
      expect(lines[1]).toMatch(/^users\.csv,3,/);
      expect(lines[2]).toMatch(/^users\.csv,4,.*""quoted""/);
      expect(otherTenant.statusCode).toBe(404);
      expect(otherTenant.json()).toMatchObject({ code: 'LOAD_NOT_FOUND' });
      expect(viewer.statusCode).toBe(403);
      const downloads = await prisma.auditEvent.findMany({ where: { action: 'load.quarantine_downloaded' } });
      expect(downloads).toEqual([expect.objectContaining({ actor: adminId, tenantId: acme.id, details: { loadId } })]);
    });

    it("answers WAREHOUSE_BUSY (retryable) while the worker holds the tenant's working file, and the rows once it lets go", async () => {
      // What the worker does during a load or build: another process opens work.duckdb for writing.
      const duckdb = require.resolve('@duckdb/node-api', { paths: [path.dirname(require.resolve('@kineo/warehouse'))] });
      const workFile = path.join(stack.env.KINEO_DATA_DIR!, 'warehouse', acme.namespace, 'work.duckdb');
      const holder = spawn(
        process.execPath,
        ['-e', `require(${JSON.stringify(duckdb)}).DuckDBInstance.create(process.argv[1]).then(async (db) => { await db.connect(); console.log('held'); setInterval(() => {}, 1 << 30); })`, workFile],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      try {
        await once(holder.stdout!, 'data');
        const busy = await graphql(app, `{ quarantine(loadId: "${loadId}") { items { line } } }`, as('admin'));
        const download = await app.inject({ method: 'GET', url: `/loads/${loadId}/quarantine.csv`, headers: as('admin') });

        expect(busy.body.errors).toEqual([
          expect.objectContaining({
            message: "This organisation's data is being loaded or rebuilt; try again in a minute.",
            extensions: { code: 'WAREHOUSE_BUSY', retryAfterSeconds: 60 },
          }),
        ]);
        expect(download.statusCode).toBe(503);
        expect(download.headers['retry-after']).toBe('60');
        expect(download.json()).toMatchObject({ code: 'WAREHOUSE_BUSY' });
        // A refused download is no download.
        expect(await prisma.auditEvent.count({ where: { action: 'load.quarantine_downloaded' } })).toBe(1);
      } finally {
        holder.kill();
        await once(holder, 'exit');
      }
      const after = await graphql<{ quarantine: { items: { line: number }[] } }>(app, `{ quarantine(loadId: "${loadId}") { items { line } } }`, as('admin'));
      expect(after.body.data!.quarantine.items).toEqual([{ line: 3 }, { line: 4 }]);
    });
  });
});
