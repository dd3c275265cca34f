import path from 'node:path';
import pino from 'pino';
import { FileSecretStore } from '@kineo/config';
import { createPrismaClient, type PrismaClient, type StageRecord } from '@kineo/db';
import { JobQueues } from '@kineo/jobs';
import type { TenantNamespace } from '@kineo/warehouse';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { InterceptingWarehouse } from './support/intercepting-warehouse';
import { provisionedTenantWithWorker } from './support/tenant-worker';
import { requestLandedLoad } from './support/valid-load';

/**
 * The real DuckDB warehouse, except that while a fault is armed the statement that builds one
 * model fails, the way a model does when the engine gives out under it half way through a stage.
 */
class FaultyWarehouse extends InterceptingWarehouse {
  private fault?: { model: string; failures: number; message: string };
  tripped = 0;

  failModel(model: string, failures = Infinity, message = 'IO Error: could not write to the database file (Input/output error)'): void {
    this.fault = { model, failures, message };
    this.tripped = 0;
  }

  heal(): void {
    this.fault = undefined;
  }

  protected async beforeExecute(sql: string): Promise<void> {
    const fault = this.fault;
    if (fault && this.tripped < fault.failures && new RegExp(`^create or replace table ${fault.model.replace('.', '\\.')}\\b`, 'i').test(sql)) {
      this.tripped++;
      throw new Error(fault.message);
    }
  }
}

const log = pino({ level: 'silent' });
const USERS = 'id,username,idnumber,firstname,lastname,email,department,city,country,timezone,suspended,deleted,timecreated,lastaccess';
const ASSIGNMENTS = 'id,userid,idnumber,fullname,sortorder,managerjaid,tempmanagerjaid,tempmanagerexpirydate,organisationid,positionid,startdate,enddate';
const COURSES = 'id,fullname,shortname,idnumber,category,coursetype,visible,startdate,enablecompletion';
const COMPLETIONS = 'id,userid,course,timeenrolled,timestarted,timecompleted,status,rplgrade,organisationid,positionid';

/** An export of two users; `courses` courses, each with a completion by user 1. */
function exportFiles(courses: number): Record<string, string> {
  const ids = Array.from({ length: courses }, (_, i) => i + 1);
  return {
    'users.csv': `${USERS}\n1,ada,,Ada,L,ada@x.org,,,,99,0,0,1700000000,0\n2,bob,,Bob,M,bob@x.org,,,,99,0,0,1700000000,0\n`,
    'job_assignments.csv': `${ASSIGNMENTS}\n1,1,,,1,,,,,,,\n2,2,,,1,1,,,,,,\n`,
    'courses.csv': `${COURSES}\n${ids.map((id) => `${id},Course ${id},C${id},,1,0,1,1700000000,1`).join('\n')}\n`,
    'course_completions.csv': `${COMPLETIONS}\n${ids.map((id) => `${id},1,${id},1700000000,1700100000,1700200000,50,,,`).join('\n')}\n`,
  };
}

describe('a build stage that fails part-way', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let queues: JobQueues;
  let warehouse: FaultyWarehouse;
  let closeWorker: (() => Promise<void>) | undefined;
  let tenant: TenantNamespace & { id: string };
  const announced: { tenantId: string; version: number }[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl);
    queues = new JobQueues(stack.redisUrl);
    warehouse = new FaultyWarehouse({
      rootDir: path.join(stack.env.KINEO_DATA_DIR, 'warehouse'),
      landingRoot: path.join(stack.env.KINEO_DATA_DIR, 'landing'),
      threads: 1,
    });
    const secrets = new FileSecretStore(path.join(stack.env.KINEO_DATA_DIR, 'secrets'));
    const harness = { stack, prisma, queues, secrets, announce: async (e: { tenantId: string; version: number }) => void announced.push(e), log };
    const started = await provisionedTenantWithWorker(harness, 'fragile', 'Fragile Co', warehouse);
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

  /** Lands the files as `kineo ingest` does and asks for the load; resolves with its build run once the flow has settled. */
  async function load(files: Record<string, string>) {
    const ticket = await requestLandedLoad(prisma, queues, stack.env.KINEO_DATA_DIR, tenant, files);
    // The flow's root (publish) settles only after the last job that ran has released the tenant's files.
    const root = await queues.queue('build').getJob(ticket.jobIds.publish);
    for (let i = 0; i < 600; i++) {
      if (['completed', 'failed'].includes(await root!.getState())) {
        const run = await prisma.buildRun.findUniqueOrThrow({ where: { id: ticket.buildRunId } });
        return { ...run, stages: run.stages as unknown as StageRecord[] };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`load ${ticket.ingestionRunId} did not finish`);
  }

  const published = async (sql: string) => (await warehouse.queryPublished(tenant, sql)).rows;
  const working = async (sql: string) => (await warehouse.query(tenant, sql)).rows;
  const dataVersion = async () => (await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).dataVersion;

  it('keeps serving the published version, records the failed stage with its reason, and a retried load completes', async () => {
    const first = await load(exportFiles(1));
    expect(first.status).toBe('succeeded');
    expect(await dataVersion()).toBe(1);
    const v1Progress = await published('select count(*) as n from gold.fact_course_progress where user_key > 0');
    expect(v1Progress).toEqual([{ n: 1 }]);

    // The gold stage fails at its course-progress fact, after the dimensions it depends on were rebuilt, on every attempt.
    warehouse.failModel('gold.fact_course_progress');
    const failed = await load(exportFiles(2));
    expect(warehouse.tripped).toBe(3);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^model gold\.fact_course_progress \(gold\/fact_course_progress\.sql\) failed: .*Input\/output error/);
    expect(failed.stages.map((s) => [s.stage, s.status])).toEqual([
      ['ingest', 'succeeded'],
      ['silver', 'succeeded'],
      ['hierarchy', 'succeeded'],
      ['gold', 'failed'],
      ['snapshots', 'pending'],
      ['publish', 'pending'],
    ]);
    const gold = failed.stages.find((s) => s.stage === 'gold')!;
    expect(gold).toMatchObject({ attempt: 3, error: failed.error, finishedAt: expect.any(String) });
    expect(failed.dataVersion).toBeNull();
    expect(await prisma.ingestionRun.findUniqueOrThrow({ where: { id: failed.ingestionRunId! } })).toMatchObject({ status: 'succeeded', rowsLoaded: 4n });

    // Part-way: the working gold already has the new course, but readers still get version 1 whole.
    expect(await working('select count(*) as n from gold.dim_course where course_key > 0')).toEqual([{ n: 2 }]);
    expect(await dataVersion()).toBe(1);
    expect(await warehouse.publishedVersion(tenant)).toBe(1);
    expect(await published('select count(*) as n from gold.dim_course where course_key > 0')).toEqual([{ n: 1 }]);
    expect(await published('select count(*) as n from gold.fact_course_progress where user_key > 0')).toEqual(v1Progress);
    expect(announced.map((e) => e.version)).toEqual([1]);
    expect(await prisma.auditEvent.count({ where: { tenantId: tenant.id, action: 'data.published' } })).toBe(1);

    // Once the fault is gone, loading the same files again (already in bronze) builds and publishes them.
    warehouse.heal();
    const retried = await load(exportFiles(2));
    expect(retried.status).toBe('succeeded');
    expect(retried.stages.every((s) => s.status === 'succeeded')).toBe(true);
    expect(retried.stages.find((s) => s.stage === 'ingest')?.details).toMatchObject({ rowsLoaded: 0 });
    expect(retried.dataVersion).toBe(2);
    expect(await dataVersion()).toBe(2);
    expect(await published('select count(*) as n from gold.fact_course_progress where user_key > 0')).toEqual([{ n: 2 }]);
    expect(announced.map((e) => e.version)).toEqual([1, 2]);
  });

  it('retries a stage that fails once and finishes the load, the stage showing the attempt that succeeded', async () => {
    warehouse.failModel('gold.dim_course', 1);
    const run = await load(exportFiles(3));
    expect(warehouse.tripped).toBe(1);
    expect(run.status).toBe('succeeded');
    expect(run.error).toBeNull();
    expect(run.stages.find((s) => s.stage === 'gold')).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect(run.dataVersion).toBe(3);
    expect(await published('select count(*) as n from gold.dim_course where course_key > 0')).toEqual([{ n: 3 }]);
  });

  it('fails a build at once when the disk is full, as DISK_FULL with a reason that says so, and keeps serving', async () => {
    warehouse.failModel('gold.dim_course', Infinity, 'IO Error: Could not write file "/data/warehouse/t/work.duckdb.wal": No space left on device');
    const run = await load(exportFiles(4));
    warehouse.heal();
    // No retry: seconds later the disk is as full.
    expect(warehouse.tripped).toBe(1);
    expect(run).toMatchObject({ status: 'failed', failureCode: 'DISK_FULL' });
    expect(run.error).toMatch(/^The disk holding the warehouse is full \(no space left on device\)/);
    expect(run.error).not.toContain('/data/warehouse');
    expect(run.stages.find((s) => s.stage === 'gold')).toMatchObject({ status: 'failed', errorCode: 'DISK_FULL' });
    expect(await dataVersion()).toBe(3);
    expect(await published('select count(*) as n from gold.dim_course where course_key > 0')).toEqual([{ n: 3 }]);
  });
});
