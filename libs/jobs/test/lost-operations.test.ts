import { QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { createPrismaClient, TenantLifecycleService, TenantService, type PrismaClient } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { bullConnection, JobQueues, provisionTenantJob, QUEUE_PREFIX, recoverLostOperations, requestOffboard, tenantOperationJobId, waitForTenantOperation } from '../src';

// The sweep's part for tenant operations, on real Postgres and Redis with no worker taking jobs: a
// grace of 0 still needs one sweep to note the job missing before a later one queues it again.

describe('the sweep for provisionings and offboardings whose job the queue lost', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let queues: JobQueues;

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

  const sweep = () => recoverLostOperations(prisma, queues, { graceMs: 0 });

  it('queues a lost provisioning once however many workers sweep at once: one job, for whoever created the tenant, one tenant.provision_recovered', async () => {
    const tenant = await new TenantService(prisma).create({ slug: 'swept-together', name: 'Swept together', actor: 'ops@test' });
    expect((await sweep()).waiting).toContain(tenant.id);
    const sweeps = await Promise.all([sweep(), sweep(), sweep(), sweep()]);
    const recovered = sweeps.flatMap((s) => s.recovered).filter((r) => r.tenantId === tenant.id);
    expect(recovered).toEqual([expect.objectContaining({ kind: 'provision', slug: 'swept-together', jobId: tenantOperationJobId('provision', tenant.id), requestedBy: 'ops@test' })]);
    const job = await queues.queue(provisionTenantJob.queue).getJob(tenantOperationJobId('provision', tenant.id));
    expect([job?.name, job?.data]).toEqual([provisionTenantJob.name, { v: provisionTenantJob.version, data: { tenantId: tenant.id, requestedBy: 'ops@test' } }]);
    expect(await prisma.auditEvent.count({ where: { tenantId: tenant.id, action: 'tenant.provision_recovered' } })).toBe(1);
    // Its job found again: nothing more to do.
    const after = await sweep();
    expect([after.waiting, after.recovered.map((r) => r.tenantId)]).toEqual([expect.not.arrayContaining([tenant.id]), expect.not.arrayContaining([tenant.id])]);
  });

  it('leaves alone a provisioning BullMQ gave up on (every attempt failed): the tenant stays provisioning until ops ask again', async () => {
    const tenant = await new TenantService(prisma).create({ slug: 'gave-up', name: 'Gave up', actor: 'ops@test' });
    for (let attempt = 0; attempt < provisionTenantJob.attempts; attempt++) {
      await prisma.buildRun.create({ data: { tenantId: tenant.id, kind: 'provision', status: 'failed', error: 'the warehouse refused' } });
    }
    for (const s of [await sweep(), await sweep()]) expect([s.waiting, s.recovered.map((r) => r.tenantId)]).toEqual([expect.not.arrayContaining([tenant.id]), expect.not.arrayContaining([tenant.id])]);
    expect(await prisma.auditEvent.count({ where: { tenantId: tenant.id, action: 'tenant.provision_recovered' } })).toBe(0);
    expect(await queues.queue(provisionTenantJob.queue).getJob(tenantOperationJobId('provision', tenant.id))).toBeUndefined();
  });

  it('never offboards a tenant that was resumed after its offboarding was asked for, even once suspended again', async () => {
    const tenants = new TenantService(prisma);
    const created = await tenants.create({ slug: 'resumed-offboard', name: 'Resumed', actor: 'ops@test' });
    await tenants.markActive(created.id, 'test');
    const { jobId } = await requestOffboard(prisma, queues, { slug: 'resumed-offboard', confirm: 'resumed-offboard', actor: 'ops@test' });
    // Its job lost, then ops change their mind, and later suspend it for another reason.
    expect(await queues.queue('provision').remove(jobId)).toBe(1);
    const lifecycle = new TenantLifecycleService(prisma);
    await lifecycle.resume('resumed-offboard', 'ops@test');
    await lifecycle.suspend('resumed-offboard', 'ops@test', 'unpaid invoice');
    for (const s of [await sweep(), await sweep()]) expect([s.waiting, s.recovered.map((r) => r.tenantId)]).toEqual([expect.not.arrayContaining([created.id]), expect.not.arrayContaining([created.id])]);
    expect(await queues.queue('provision').getJob(jobId)).toBeUndefined();
    expect(await prisma.auditEvent.count({ where: { tenantId: created.id, action: 'tenant.offboard_recovered' } })).toBe(0);
  });

  it('ends a wait on an offboarding as called off once the tenant is resumed, not after minutes of "not started", and so after a later suspension too', async () => {
    const tenants = new TenantService(prisma);
    const created = await tenants.create({ slug: 'waited-off', name: 'Waited off', actor: 'ops@test' });
    await tenants.markActive(created.id, 'test');
    await requestOffboard(prisma, queues, { slug: 'waited-off', confirm: 'waited-off', actor: 'ops@test' });
    // No worker takes the job here: the wait goes on while nothing has happened...
    const waiting = waitForTenantOperation(prisma, { tenantId: created.id, kind: 'offboard', attempts: 3, notStartedMs: 60_000 }, { intervalMs: 50 });
    let settled = false;
    void waiting.finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    // ...and ends as soon as ops resume the tenant.
    const lifecycle = new TenantLifecycleService(prisma);
    await lifecycle.resume('waited-off', 'ops@test');
    expect(await waiting).toEqual({ status: 'called-off', error: 'the tenant was resumed after the offboarding was asked for (it is active now)', details: {} });
    await lifecycle.suspend('waited-off', 'ops@test', 'unpaid invoice');
    expect(await waitForTenantOperation(prisma, { tenantId: created.id, kind: 'offboard', attempts: 3 }, { intervalMs: 50 })).toMatchObject({ status: 'called-off', error: expect.stringContaining('it is suspended now') });
  });

  it('queues an offboarding asked for again after a failed one, although the failed job still holds its id, and records it once however many ask', async () => {
    const tenants = new TenantService(prisma);
    const created = await tenants.create({ slug: 'offboard-again', name: 'Again', actor: 'ops@test' });
    const first = await requestOffboard(prisma, queues, { slug: 'offboard-again', confirm: 'offboard-again', actor: 'ops@test' });
    // The first offboarding fails for good, as its last attempt would (a worker that refuses it).
    const connection = bullConnection(stack.redisUrl);
    const events = new QueueEvents('provision', { connection, prefix: QUEUE_PREFIX });
    const refusing = new Worker('provision', async () => Promise.reject(new UnrecoverableError('the warehouse refused')), { connection, prefix: QUEUE_PREFIX });
    try {
      await events.waitUntilReady();
      await expect((await queues.queue('provision').getJob(first.jobId))!.waitUntilFinished(events, 30_000)).rejects.toThrow('the warehouse refused');
    } finally {
      await refusing.close();
      await events.close();
    }
    const queue = queues.queue('provision');
    expect(await (await queue.getJob(first.jobId))?.getState()).toBe('failed');
    // Asked again with a double-click: one more request, recorded and queued once.
    const again = await Promise.all([1, 2].map(() => requestOffboard(prisma, queues, { slug: 'offboard-again', confirm: 'offboard-again', actor: 'ops@test' })));
    for (const second of again) expect(second.jobId).toBe(first.jobId);
    expect(await (await queue.getJob(first.jobId))?.getState()).toBe('waiting');
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: created.id } })).offboardRequestedAt).not.toBeNull();
    expect(await prisma.auditEvent.count({ where: { tenantId: created.id, action: 'tenant.offboard_requested' } })).toBe(2);
    // And again while that one waits: the same answer, nothing more.
    await requestOffboard(prisma, queues, { slug: 'offboard-again', confirm: 'offboard-again', actor: 'ops@test' });
    expect(await (await queue.getJob(first.jobId))?.getState()).toBe('waiting');
    expect(await prisma.auditEvent.count({ where: { tenantId: created.id, action: 'tenant.offboard_requested' } })).toBe(2);
  });
});
