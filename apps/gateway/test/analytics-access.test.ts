import path from 'node:path';
import { UserService } from '@kineo/auth';
import { createPrismaClient, TenantService, type PrismaClient } from '@kineo/db';
import { DomainError } from '@kineo/errors';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { DuckDbWarehouse, WarehouseError } from '@kineo/warehouse';
import { ModulesContainer } from '@nestjs/core';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ACCESS_KEY } from '../src/engine/auth/auth.decorators';
import { ROLES_KEY } from '../src/engine/auth/auth.guards';
import { toAnalyticsError } from '../src/modules/analytics/analytics-errors.util';
import { graphql, startGateway } from './support/gateway';

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
