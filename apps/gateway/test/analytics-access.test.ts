import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { UserService } from '@kineo/auth';
import { createPrismaClient, TenantService, type PrismaClient } from '@kineo/db';
import { DomainError } from '@kineo/errors';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { DuckDbWarehouse, WarehouseError } from '@kineo/warehouse';
import { Redis } from 'ioredis';
import { ModulesContainer } from '@nestjs/core';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ACCESS_KEY } from '../src/engine/auth/auth.decorators';
import { ROLES_KEY } from '../src/engine/auth/auth.guards';
import { toAnalyticsError } from '../src/modules/analytics/analytics-errors.util';
import { graphql, LogCapture, startGateway } from './support/gateway';
import { publishGold } from './support/published-gold';

const PASSWORD = 'correct horse battery staple';

describe('who may use analytics, and how much', () => {
  let stack: TestStack;
  let prisma: PrismaClient;
  let app: NestFastifyApplication;
  let token: string;

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    const tenants = new TenantService(prisma);
    const tenant = await tenants.create({ slug: 'fresh', name: 'Fresh Co', actor: 'test' });
    await tenants.markActive(tenant.id, 'test');
    await new UserService(prisma).create({ email: 'admin@fresh.test', password: PASSWORD, grant: { tenantSlug: 'fresh', role: 'org_admin' }, actor: 'test' });
    app = await startGateway(stack, { ANALYTICS_RATE_LIMIT_PER_USER: '3' });
    const login = await graphql<{ login: { token: string } }>(app, `mutation { login(email: "admin@fresh.test", password: "${PASSWORD}") { token } }`);
    token = login.body.data!.login.token;
  });

  afterAll(async () => {
    await app?.close();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  it('every query and mutation in the schema declares the role (or public / signed-in access) it needs', () => {
    const declared = new Map<string, boolean>();
    for (const module of app.get(ModulesContainer).values()) {
      for (const wrapper of module.providers.values()) {
        const instance = wrapper.instance as object | undefined;
        if (!instance || typeof instance !== 'object') continue;
        const prototype = Object.getPrototypeOf(instance) as object;
        for (const key of Object.getOwnPropertyNames(prototype)) {
          // Read without invoking getters: some providers' getters need a running server.
          const handler: unknown = Object.getOwnPropertyDescriptor(prototype, key)?.value;
          if (typeof handler !== 'function') continue;
          const type = Reflect.getMetadata('graphql:resolver_type', handler as object) as string | undefined;
          if (type !== 'Query' && type !== 'Mutation' && type !== 'Subscription') continue;
          const name = (Reflect.getMetadata('graphql:resolver_name', handler as object) as string | undefined) ?? key;
          const access = [ROLES_KEY, ACCESS_KEY].some((k) => Reflect.getMetadata(k, handler as object) !== undefined || Reflect.getMetadata(k, instance.constructor) !== undefined);
          declared.set(`${type}.${name}`, access);
        }
      }
    }
    const schema = app.get(GraphQLSchemaHost).schema;
    const fields = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) =>
      type ? Object.keys(type.getFields()).map((field) => `${type.name}.${field}`) : [],
    );
    expect(fields).toEqual(expect.arrayContaining(['Query.analytics', 'Query.dashboard', 'Query.drill', 'Query.meta', 'Mutation.login']));
    expect(fields.filter((field) => declared.get(field) !== true)).toEqual([]);
  });

  it('tells an organisation with nothing published yet what to do, then limits each user per minute', async () => {
    const ask = () => graphql(app, '{ analytics(query: { measures: ["Learner.count"] }) { rows } }', { authorization: `Bearer ${token}` });
    const first = await ask();
    expect(first.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'NO_DATA' }, message: expect.stringContaining('load an LMS export first') })]);
    await ask();
    await ask();
    const over = await ask();
    expect(over.body.errors).toEqual([
      expect.objectContaining({
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) },
        message: expect.stringMatching(/^Too many analytics requests: you may make 3 a minute\. Try again in \d+ s\.$/),
      }),
    ]);
    // Blocked for the rest of the one-minute window, not for a moment.
    expect(over.body.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(30);
    expect(over.body.errors![0]!.extensions!.retryAfterSeconds).toBeLessThanOrEqual(60);
    const exported = await app.inject({ method: 'POST', url: '/exports', headers: { authorization: `Bearer ${token}` }, payload: { format: 'csv', query: { measures: ['Learner.count'] } } });
    expect(exported.statusCode).toBe(429);
    expect(exported.json()).toMatchObject({ code: 'RATE_LIMITED' });
  });

  describe('exports in flight, per user and per tenant', () => {
    // Enough rows that a file nobody reads stays in flight (more than the sockets and streams between hold).
    const LEARNERS = 60_000;
    const QUERY = { measures: ['Learner.count'], dimensions: ['Learner.userId', 'Learner.fullName', 'Learner.email'] };
    let exporter: NestFastifyApplication;
    let port: number;
    let redis: Redis;
    const tokenOf: Record<string, string> = {};
    const open: http.ClientRequest[] = [];
    const logs = new LogCapture();

    /** An export over a real connection whose body is never read: it streams until the caller goes away. */
    function startExport(who: string): Promise<{ status: number; request: http.ClientRequest }> {
      return new Promise((resolve, reject) => {
        const payload = JSON.stringify({ format: 'csv', query: QUERY });
        const request = http.request(
          { host: '127.0.0.1', port, path: '/exports', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf[who]}` } },
          (response) => {
            response.pause();
            resolve({ status: response.statusCode ?? 0, request });
          },
        );
        request.on('error', reject);
        open.push(request);
        request.end(payload);
      });
    }

    const refusedExport = (who: string) => exporter.inject({ method: 'POST', url: '/exports', headers: { authorization: `Bearer ${tokenOf[who]}` }, payload: { format: 'csv', query: QUERY } });

    beforeAll(async () => {
      const tenants = new TenantService(prisma);
      const busy = await tenants.create({ slug: 'busy', name: 'Busy Co', actor: 'test' });
      await tenants.markActive(busy.id, 'test');
      await publishGold(stack, busy, [
        `create or replace table gold.dim_organisation as select * from (values (-1, -1, 'Unknown')) as t(organisation_key, organisation_id, label)`,
        `create or replace table gold.dim_user as select range as user_key, range as user_id, 'Learner number ' || range as label, 'learner' || range || '@busy.test' as email, -1 as organisation_key, true as is_active from range(-1, ${LEARNERS})`,
      ]);
      await prisma.tenant.update({ where: { id: busy.id }, data: { dataVersion: 1 } });
      await prisma.buildRun.create({ data: { tenantId: busy.id, status: 'succeeded', asOf: new Date('2025-06-30'), dataVersion: 1 } });
      for (const who of ['ann', 'bob', 'cat']) {
        await new UserService(prisma).create({ email: `${who}@busy.test`, password: PASSWORD, grant: { tenantSlug: 'busy', role: 'org_admin' }, actor: 'test' });
      }
      exporter = await startGateway(stack, { EXPORTS_IN_FLIGHT_PER_USER: '2', EXPORTS_IN_FLIGHT_PER_TENANT: '3', LOG_LEVEL: 'info' }, { logDestination: logs });
      await exporter.listen({ host: '127.0.0.1', port: 0 });
      port = (exporter.getHttpServer().address() as AddressInfo).port;
      for (const who of ['ann', 'bob', 'cat']) {
        const login = await graphql<{ login: { token: string } }>(exporter, `mutation { login(email: "${who}@busy.test", password: "${PASSWORD}") { token } }`);
        tokenOf[who] = login.body.data!.login.token;
      }
      redis = new Redis(stack.redisUrl);
    });

    afterAll(async () => {
      for (const request of open) request.destroy();
      redis?.disconnect();
      await exporter?.close();
    });

    it("refuses a user's third export while two stream, and a colleague's beyond the organisation's cap, until one ends", async () => {
      const first = await startExport('ann');
      const second = await startExport('ann');
      expect([first.status, second.status]).toEqual([200, 200]);

      const third = await refusedExport('ann');
      expect(third.statusCode).toBe(429);
      expect(third.headers['retry-after']).toMatch(/^\d+$/);
      expect(third.json()).toMatchObject({ code: 'TOO_MANY_EXPORTS', message: 'You have 2 exports running; wait for one to finish.' });

      // Bob has none running, but the organisation has its 3 once his first streams.
      expect((await startExport('bob')).status).toBe(200);
      const bobs = await refusedExport('bob');
      expect(bobs.statusCode).toBe(429);
      expect(bobs.json()).toMatchObject({ code: 'TOO_MANY_EXPORTS', message: 'Your organisation has 3 exports running; wait for one to finish.' });

      // Ann gives up on one: her place is free again once the gateway sees the connection close.
      first.request.destroy();
      let again: { status: number } = { status: 0 };
      for (let attempt = 0; attempt < 100 && again.status !== 200; attempt++) {
        again = await startExport('ann');
        if (again.status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(again.status).toBe(200);
    });

    it('a forged drill cursor holding a number no key can be is INVALID_CURSOR, logged as no internal error', async () => {
      const after = Buffer.from(JSON.stringify([1e308, 'x'])).toString('base64url');
      const logged = logs.lines.length;
      const reply = await graphql(
        exporter,
        'query ($q: AnalyticsQueryInput!, $cell: JSON!, $after: String) { drill(query: $q, cell: $cell, after: $after) { rows } }',
        { authorization: `Bearer ${tokenOf.cat}` },
        { q: { measures: ['Learner.count'] }, cell: {}, after },
      );
      expect(reply.body.errors).toEqual([
        expect.objectContaining({ message: 'The drill cursor is not one this list gave out: start again from the first page.', extensions: expect.objectContaining({ code: 'INVALID_CURSOR' }) }),
      ]);
      expect(logs.lines.slice(logged).filter((line) => line.level === 'error' || Number(line.level) >= 50)).toEqual([]);
    });

    it('exports a stopped gateway left behind stop counting once their places lapse', async () => {
      for (const request of open.splice(0)) request.destroy();
      const cat = await prisma.user.findUniqueOrThrow({ where: { email: 'cat@busy.test' } });
      // Two places of a gateway that died mid-export, lapsed (their renewals stopped with it).
      await redis.zadd(`exports:running:user:${cat.id}`, Date.now() - 1000, 'dead-1', Date.now() - 1000, 'dead-2');
      let answer: { status: number } = { status: 0 };
      for (let attempt = 0; attempt < 100 && answer.status !== 200; attempt++) {
        answer = await startExport('cat');
        if (answer.status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(answer.status).toBe(200);
      expect(await redis.zscore(`exports:running:user:${cat.id}`, 'dead-1')).toBeNull();
    });
  });

  it('a warehouse statement over the time limit is QUERY_TIMEOUT with a message saying what to do', async () => {
    const warehouse = new DuckDbWarehouse({ rootDir: path.join(stack.dir, 'timeout-warehouse'), threads: 1 });
    const ref = { tenantId: '00000000-0000-4000-8000-000000000001', namespace: 't_timeout' };
    try {
      await warehouse.provision(ref);
      await warehouse.execute(ref, 'create table gold.t as select range as i from range(10000)');
      await warehouse.publish(ref, 1);
      const slow = warehouse.queryPublished(ref, 'select count(*) from gold.t a, gold.t b, gold.t c where a.i + b.i + c.i = -1', [], { timeoutMs: 200 });
      const error = await slow.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WarehouseError);
      const translated = toAnalyticsError(error, 200);
      expect(translated).toBeInstanceOf(DomainError);
      expect(translated).toMatchObject({
        code: 'QUERY_TIMEOUT',
        message: 'The query ran longer than 0.2 s, the limit for one query, and was stopped. Narrow it with filters or a shorter date range, or export it instead.',
      });
    } finally {
      await warehouse.close();
    }
  });

  it('refuses an operation over the complexity limit before running it', async () => {
    const fields = Array.from({ length: 18 }, (_, i) => `d${i}: dashboard(id: "course-completion") { id }`).join(' ');
    const reply = await graphql(app, `{ ${fields} }`, { authorization: `Bearer ${token}` });
    expect(reply.body.errors?.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^The operation is too complex: it costs \d+, over the limit of 400\./)]));
  });
});
