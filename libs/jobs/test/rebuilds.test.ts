import { createPrismaClient, TenantService, type PrismaClient } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { BUILD_STAGE_NAMES, JobQueues, queueFollowers, recoverLostFlows, requestRebuild } from '../src';

/**
 * Rebuild requests while a build is under way, on real Postgres and Redis: answered with the build
 * only when it builds what is asked, else a rebuild that follows it, queued once it has ended.
 */
describe('a rebuild asked for while a build is under way', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let queues: JobQueues;
  let seq = 0;

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl);
    queues = new JobQueues(stack.redisUrl);
  });

  afterAll(async () => {
    await queues?.close();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  /** An active tenant with one load done (so it can be rebuilt), its fiscal year from January. */
  async function loadedTenant() {
    const tenant = await new TenantService(prisma).create({ slug: `fy-${++seq}`, name: `FY ${seq}`, actor: 'test', fiscalYearStartMonth: 1 });
    await prisma.tenant.update({ where: { id: tenant.id }, data: { status: 'active' } });
    await prisma.ingestionRun.create({ data: { tenantId: tenant.id, status: 'succeeded', source: 'cli', requestedBy: 'test' } });
    return tenant;
  }
  const setStart = (tenantId: string, month: number) => prisma.tenant.update({ where: { id: tenantId }, data: { fiscalYearStartMonth: month } });
  /** The run as its first stage leaves it: running, the fiscal-year start fixed. */
  const started = (buildRunId: string, month: number) => prisma.buildRun.update({ where: { id: buildRunId }, data: { status: 'running', startedAt: new Date(), fiscalYearStartMonth: month } });
  const queuedStages = async (buildRunId: string) => {
    const jobs = await Promise.all(BUILD_STAGE_NAMES.map((stage) => queues.queue('build').getJob(`${buildRunId}-${stage}`)));
    return jobs.filter((j) => j !== undefined).length;
  };
  const rebuildRuns = (tenantId: string) => prisma.buildRun.count({ where: { tenantId, kind: 'rebuild' } });

  it('is answered with a rebuild still queued, even after the fiscal year changed: its first stage takes the new start', async () => {
    const tenant = await loadedTenant();
    const first = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'admin' });
    expect(first.underWay).toBeUndefined();
    expect(await queuedStages(first.buildRunId)).toBe(BUILD_STAGE_NAMES.length);
    await setStart(tenant.id, 3);
    const again = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'admin' });
    expect(again).toMatchObject({ buildRunId: first.buildRunId, underWay: { kind: 'rebuild', status: 'queued' }, fiscalYearStartMonth: 3 });
    expect(again.follows).toBeUndefined();
    expect(await rebuildRuns(tenant.id)).toBe(1);
  });

  it('is answered with a running build whose start is the fiscal year as it is now', async () => {
    const tenant = await loadedTenant();
    const first = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'admin' });
    await started(first.buildRunId, 1);
    const again = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'admin' });
    expect(again).toMatchObject({ buildRunId: first.buildRunId, underWay: { kind: 'rebuild', status: 'running' }, fiscalYearStartMonth: 1 });
    expect(await rebuildRuns(tenant.id)).toBe(1);
  });

  it('records a rebuild that follows a build started under another fiscal-year start, queues it only once that build ends, and answers a further request with it', async () => {
    const tenant = await loadedTenant();
    const running = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'admin' });
    await started(running.buildRunId, 1);
    await setStart(tenant.id, 3);

    const follower = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'admin' });
    expect(follower.buildRunId).not.toBe(running.buildRunId);
    expect(follower.underWay).toBeUndefined();
    expect(follower).toMatchObject({ fiscalYearStartMonth: 3, follows: { buildRunId: running.buildRunId, kind: 'rebuild', status: 'running', fiscalYearStartMonth: 1 } });
    const run = await prisma.buildRun.findUniqueOrThrow({ where: { id: follower.buildRunId } });
    expect(run).toMatchObject({ kind: 'rebuild', status: 'queued', followsBuildRunId: running.buildRunId, followerQueuedAt: null, fiscalYearStartMonth: null });
    // Not queued beside the running build: the two would publish in whatever order they finish.
    expect(await queuedStages(follower.buildRunId)).toBe(0);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: tenant.id, action: 'build.requested', details: { path: ['buildRunId'], equals: follower.buildRunId } } });
    expect(audit.details).toMatchObject({
      fiscalYearStartMonth: 3,
      reason: 'follows_build_under_way',
      follows: { buildRunId: running.buildRunId, fiscalYearStartMonth: 1 },
      why: 'it started with the fiscal year starting in January, and the fiscal year now starts in March',
    });

    // Asked again (another tab, the CLI): the follower answers, still one build at a time.
    const again = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'ops' });
    expect(again).toMatchObject({ buildRunId: follower.buildRunId, underWay: { kind: 'rebuild', status: 'queued' }, follows: { buildRunId: running.buildRunId } });
    expect(await rebuildRuns(tenant.id)).toBe(2);

    // Nothing is queued while the build it follows runs; once it has ended (failed, here), it is queued once.
    expect(await queueFollowers(prisma, queues, { buildRunId: running.buildRunId, tenantId: tenant.id })).toEqual([]);
    await prisma.buildRun.update({ where: { id: running.buildRunId }, data: { status: 'failed', finishedAt: new Date() } });
    const queued = await Promise.all([1, 2, 3].map(() => queueFollowers(prisma, queues, { buildRunId: running.buildRunId, tenantId: tenant.id })));
    expect(queued.flat()).toEqual([follower.buildRunId]);
    expect(await queuedStages(follower.buildRunId)).toBe(BUILD_STAGE_NAMES.length);
    const silver = await queues.queue('build').getJob(`${follower.buildRunId}-silver`);
    expect(silver?.data.data).toMatchObject({ tenantId: tenant.id, buildRunId: follower.buildRunId, asOf: follower.asOf });
    expect(await prisma.buildRun.findUniqueOrThrow({ where: { id: follower.buildRunId } })).toMatchObject({ followerQueuedAt: expect.any(Date) });
  });

  it('records a follower of a running build of another as-of than the one asked for', async () => {
    const tenant = await loadedTenant();
    const running = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'ops', asOf: new Date('2025-06-30T00:00:00Z') });
    await started(running.buildRunId, 1);
    // The same as-of is what it builds.
    const same = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'ops', asOf: new Date('2025-06-30T00:00:00Z') });
    expect(same).toMatchObject({ buildRunId: running.buildRunId, underWay: { status: 'running' } });
    const other = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'ops', asOf: new Date('2025-12-31T00:00:00Z') });
    expect(other).toMatchObject({ asOf: '2025-12-31T00:00:00.000Z', follows: { buildRunId: running.buildRunId, asOf: '2025-06-30T00:00:00.000Z' } });
    expect(other.underWay).toBeUndefined();
    expect(await queuedStages(other.buildRunId)).toBe(0);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: tenant.id, action: 'build.requested', details: { path: ['buildRunId'], equals: other.buildRunId } } });
    expect(audit.details).toMatchObject({ why: 'it builds as of 2025-06-30T00:00:00.000Z, not 2025-12-31T00:00:00.000Z' });
  });

  it('leaves the lost-flows sweep a follower of an unfinished run alone, and starts one whose run ended when nothing queued it', async () => {
    const tenant = await loadedTenant();
    const running = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'admin' });
    await started(running.buildRunId, 1);
    await setStart(tenant.id, 7);
    const follower = await requestRebuild(prisma, queues, { tenantId: tenant.id, actor: 'admin' });
    expect(follower.follows?.buildRunId).toBe(running.buildRunId);

    const sweep = () => recoverLostFlows(prisma, queues, { graceMs: 0 });
    for (let i = 0; i < 2; i++) {
      const swept = await sweep();
      expect(swept.recovered.map((r) => r.buildRunId)).not.toContain(follower.buildRunId);
      expect(swept.waiting).not.toContain(follower.buildRunId);
    }
    expect(await queuedStages(follower.buildRunId)).toBe(0);
    expect(await prisma.buildRun.findUniqueOrThrow({ where: { id: follower.buildRunId } })).toMatchObject({ status: 'queued', flowMissingSince: null });

    // The run ends and its worker dies before queuing the follower: after the grace, the sweep starts it.
    await prisma.buildRun.update({ where: { id: running.buildRunId }, data: { status: 'succeeded', finishedAt: new Date() } });
    expect((await sweep()).waiting).toContain(follower.buildRunId);
    const recovered = (await sweep()).recovered.find((r) => r.buildRunId === follower.buildRunId);
    expect(recovered).toMatchObject({ kind: 'rebuild', tenantId: tenant.id, follows: running.buildRunId, restartedFrom: BUILD_STAGE_NAMES[0] });
    expect(await queuedStages(follower.buildRunId)).toBe(BUILD_STAGE_NAMES.length);
    // A worker ending that run late finds it taken.
    expect(await queueFollowers(prisma, queues, { buildRunId: running.buildRunId, tenantId: tenant.id })).toEqual([]);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { tenantId: tenant.id, action: 'build.recovered' } });
    expect(audit.details).toMatchObject({ buildRunId: follower.buildRunId, reason: expect.stringContaining(`it follows run ${running.buildRunId}, which has ended, and nothing queued it`) });
  });
});
