import path from 'node:path';
import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { DuckDbWarehouse } from '@kineo/warehouse';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startGateway } from './support/gateway';

describe('health', () => {
  let stack: TestStack;
  let app: NestFastifyApplication;
  let prisma: PrismaClient;

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 1 });
    app = await startGateway(stack);
  });

  afterAll(async () => {
    await app?.close();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  /** A tenant as the worker leaves it after its first load: gold published as version 1. */
  async function publishedTenant(slug: string, namespace: string) {
    const tenant = await prisma.tenant.create({ data: { slug, name: slug, namespace, status: 'active', dataVersion: 1 } });
    const ref = { tenantId: tenant.id, namespace };
    const worker = new DuckDbWarehouse({ rootDir: path.join(stack.env.KINEO_DATA_DIR, 'warehouse'), threads: 1 });
    try {
      await worker.provision(ref);
      await worker.execute(ref, 'create table gold.dim_user as select 1 as user_key');
      await worker.publish(ref, 1);
    } finally {
      await worker.close();
    }
    return tenant;
  }

  async function warehouseHealth() {
    const response = await app.inject({ method: 'GET', url: '/health' });
    const body = response.json();
    return { status: response.statusCode, warehouse: body.info?.warehouse ?? body.error?.warehouse, body: response.body };
  }

  it('reports postgres, redis and the warehouse up with 200 when all three answer', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });

    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe('ok');
    expect(body.info).toEqual({
      postgres: expect.objectContaining({ status: 'up' }),
      redis: expect.objectContaining({ status: 'up' }),
      warehouse: expect.objectContaining({ status: 'up' }),
    });
    expect(body.error).toEqual({});
  });

  it('checks the warehouse engine itself while no tenant has published data', async () => {
    expect(await warehouseHealth()).toMatchObject({ status: 200, warehouse: { status: 'up', checked: 'engine' } });
  });

  it("checks the warehouse by reading the published gold of the tenant that published last", async () => {
    await publishedTenant('health-acme', 't_00hc01');
    expect(await warehouseHealth()).toMatchObject({ status: 200, warehouse: { status: 'up', checked: 'published gold' } });
  });

  it('reports the warehouse down, naming no tenant, when the published gold it looks for cannot be read', async () => {
    // Postgres says this tenant published, but its warehouse has nothing: what a lost volume looks like.
    const broken = await prisma.tenant.create({
      data: { slug: 'health-lost', name: 'lost', namespace: 't_00hc02', status: 'active', dataVersion: 1 },
    });
    try {
      const health = await warehouseHealth();
      expect(health).toMatchObject({ status: 503, warehouse: { status: 'down', message: expect.stringMatching(/^published gold did not answer/) } });
      expect(health.body).not.toContain('t_00hc02');
      expect(health.body).not.toContain('health-lost');
    } finally {
      await prisma.tenant.update({ where: { id: broken.id }, data: { status: 'suspended' } });
    }
    expect(await warehouseHealth()).toMatchObject({ status: 200, warehouse: { status: 'up', checked: 'published gold' } });
  });

  it('answers liveness without consulting any dependency', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/live' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  // Stops this suite's Redis, so it stays last.
  describe('once redis has gone away', () => {
    beforeAll(async () => {
      await stack.redis.stop();
    });

    it('returns 503 naming redis as the component that is down, the others still up', async () => {
      const response = await app.inject({ method: 'GET', url: '/health' });

      expect(response.statusCode).toBe(503);
      const body = response.json();
      expect(body.status).toBe('error');
      expect(Object.keys(body.error)).toEqual(['redis']);
      expect(body.error.redis.status).toBe('down');
      expect(body.info).toEqual({
        postgres: expect.objectContaining({ status: 'up' }),
        warehouse: expect.objectContaining({ status: 'up' }),
      });
      // /health is public: no addresses of the infrastructure in it.
      expect(response.body).not.toContain('127.0.0.1');
      expect(response.body).not.toContain(String(stack.redis.port));
    });

    it('still reports the process alive', async () => {
      const response = await app.inject({ method: 'GET', url: '/health/live' });

      expect(response.statusCode).toBe(200);
    });
  });
});
