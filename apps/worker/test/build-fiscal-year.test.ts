import path from 'node:path';
import pino from 'pino';
import { FileSecretStore } from '@kineo/config';
import { createPrismaClient, type PrismaClient, type StageRecord } from '@kineo/db';
import { JobQueues, requestRebuild, type RebuildTicket } from '@kineo/jobs';
import type { TenantNamespace } from '@kineo/warehouse';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { InterceptingWarehouse } from './support/intercepting-warehouse';
import { provisionedTenantWithWorker } from './support/tenant-worker';
import { requestLandedLoad } from './support/valid-load';

/**
 * The real DuckDB warehouse; while armed, the first statement of a build stage (its silver._build)
 * calls back once, in the middle of that stage, the way an org admin's save lands while a build runs.
 */
class WatchedWarehouse extends InterceptingWarehouse {
  private armed?: () => Promise<void>;

  onNextStage(fn: () => Promise<void>): void {
    this.armed = fn;
  }

  protected async beforeExecute(sql: string): Promise<void> {
    const armed = this.armed;
    if (armed && /^create or replace table silver\._build\b/i.test(sql)) {
      this.armed = undefined;
      await armed();
    }
  }
}

const log = pino({ level: 'silent' });
const USERS = 'id,username,idnumber,firstname,lastname,email,department,city,country,timezone,suspended,deleted,timecreated,lastaccess';
const ASSIGNMENTS = 'id,userid,idnumber,fullname,sortorder,managerjaid,tempmanagerjaid,tempmanagerexpirydate,organisationid,positionid,startdate,enddate';
const COURSES = 'id,fullname,shortname,idnumber,category,coursetype,visible,startdate,enablecompletion';
const COMPLETIONS = 'id,userid,course,timeenrolled,timestarted,timecompleted,status,rplgrade,organisationid,positionid';
/** Two users, one course completed by the first in November 2023. */
const FILES: Record<string, string> = {
  'users.csv': `${USERS}\n1,ada,,Ada,L,ada@x.org,,,,99,0,0,1700000000,0\n2,bob,,Bob,M,bob@x.org,,,,99,0,0,1700000000,0\n`,
  'job_assignments.csv': `${ASSIGNMENTS}\n1,1,,,1,,,,,,,\n2,2,,,1,1,,,,,,\n`,
  'courses.csv': `${COURSES}\n1,Course 1,C1,,1,0,1,1700000000,1\n`,
  'course_completions.csv': `${COMPLETIONS}\n1,1,1,1700000000,1700100000,1700200000,50,,,\n`,
};

describe("a build's fiscal-year start", () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let queues: JobQueues;
  let warehouse: WatchedWarehouse;
  let closeWorker: (() => Promise<void>) | undefined;
  let tenant: TenantNamespace & { id: string };

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl);
    queues = new JobQueues(stack.redisUrl);
    warehouse = new WatchedWarehouse({
      rootDir: path.join(stack.env.KINEO_DATA_DIR, 'warehouse'),
      landingRoot: path.join(stack.env.KINEO_DATA_DIR, 'landing'),
      threads: 1,
    });
    const secrets = new FileSecretStore(path.join(stack.env.KINEO_DATA_DIR, 'secrets'));
    const harness = { stack, prisma, queues, secrets, announce: async () => undefined, log };
    const started = await provisionedTenantWithWorker(harness, 'fiscal', 'Fiscal Co', warehouse, { fiscalYearStartMonth: 1 });
    tenant = { id: started.tenant.id, tenantId: started.tenant.id, namespace: started.tenant.namespace };
    closeWorker = started.close;
  });

  afterAll(async () => {
    await closeWorker?.();
    await warehouse?.close();
    await queues?.close();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  /** The build run once it has ended (its publish job settled too, so the tenant's files are released). */
  async function ended(buildRunId: string, publishJobId = `${buildRunId}-publish`) {
    for (let i = 0; i < 1200; i++) {
      const run = await prisma.buildRun.findUniqueOrThrow({ where: { id: buildRunId } });
      const root = await queues.queue('build').getJob(publishJobId);
      if (!['queued', 'running'].includes(run.status) && root && ['completed', 'failed'].includes(await root.getState())) {
        return { ...run, stages: run.stages as unknown as StageRecord[] };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`build ${buildRunId} did not end`);
  }

  /** The fiscal year and period a day has in gold.dim_date of a published version. */
  const fiscalDay = async (version: number, day: string) =>
    (await warehouse.queryPublished(tenant, 'select fiscal_year, fiscal_period from gold.dim_date where date = cast(? as date)', [day], { version })).rows;
  /** The months the fiscal-year ends of the history snapshots fall in, in a published version. */
  const historyYearEndMonths = async (version: number) =>
    (
      await warehouse.queryPublished(
        tenant,
        'select distinct d.month from gold.fact_course_history h join gold.dim_date d on d.date_key = h.fiscal_year_end_date_key order by 1',
        [],
        { version },
      )
    ).rows.map((r) => Number(r.month));
  const snapshotWarnings = (run: { stages: StageRecord[] }) => run.stages.find((s) => s.stage === 'snapshots')?.warnings;

  it('stays the one its first stage fixed when the fiscal year is changed between its stages, and a rebuild asked for then follows it and publishes the new start', async () => {
    const load = await requestLandedLoad(prisma, queues, stack.env.KINEO_DATA_DIR, tenant, FILES);
    const first = await ended(load.buildRunId, load.jobIds.publish);
    expect(first).toMatchObject({ status: 'succeeded', dataVersion: 1, fiscalYearStartMonth: 1 });
    // A fiscal year named by the calendar year it ends in: 2024-03-15 is FY2024 (period 3) from January, FY2025 (period 1) from March.
    expect(await fiscalDay(1, '2024-03-15')).toEqual([{ fiscal_year: 2024, fiscal_period: 3 }]);
    expect(await historyYearEndMonths(1)).toEqual([12]);

    // A rebuild under January; while its silver stage runs the org admin saves March and presses Rebuild.
    let follower: RebuildTicket | undefined;
    warehouse.onNextStage(async () => {
      await prisma.tenant.update({ where: { id: tenant.id }, data: { fiscalYearStartMonth: 3 } });
      follower = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'admin' });
    });
    const rebuild = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'admin' });
    const mixed = await ended(rebuild.buildRunId);
    expect(follower).toMatchObject({ follows: { buildRunId: rebuild.buildRunId, status: 'running', fiscalYearStartMonth: 1 }, fiscalYearStartMonth: 3 });
    expect(follower!.underWay).toBeUndefined();

    // Every stage of that run built with January: gold's dim_date and the history snapshots, and no calendar reset.
    expect(mixed).toMatchObject({ status: 'succeeded', dataVersion: 2, fiscalYearStartMonth: 1 });
    expect(mixed.stages.every((s) => s.status === 'succeeded')).toBe(true);
    expect(await fiscalDay(2, '2024-03-15')).toEqual([{ fiscal_year: 2024, fiscal_period: 3 }]);
    expect(await historyYearEndMonths(2)).toEqual([12]);
    expect(snapshotWarnings(mixed)).toBeUndefined();

    // Once it ended, the worker queued the follower, which built and published March.
    const next = await ended(follower!.buildRunId);
    expect(next).toMatchObject({ status: 'succeeded', dataVersion: 3, fiscalYearStartMonth: 3, followsBuildRunId: rebuild.buildRunId, followerQueuedAt: expect.any(Date) });
    expect(next.followerQueuedAt!.getTime()).toBeGreaterThanOrEqual(mixed.finishedAt!.getTime());
    expect(await fiscalDay(3, '2024-03-15')).toEqual([{ fiscal_year: 2025, fiscal_period: 1 }]);
    expect(await historyYearEndMonths(3)).toEqual([2]);
    expect(snapshotWarnings(next)).toEqual([expect.stringMatching(/^fiscal calendar changed/)]);
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).dataVersion).toBe(3);
  });
});
