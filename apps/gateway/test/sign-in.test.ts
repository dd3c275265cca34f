import { createHash } from 'node:crypto';
import { UserService } from '@kineo/auth';
import { createPrismaClient, TenantService, type PrismaClient } from '@kineo/db';
import { startTestStack, type TestStack } from '@kineo/testkit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { LogCapture, startGateway, type GraphqlReply } from './support/gateway';

const PASSWORD = 'correct horse battery staple';

describe('sign-in against abuse', () => {
  let stack: TestStack;
  let app: NestFastifyApplication;
  let prisma: PrismaClient;
  let redis: Redis;
  const log = new LogCapture();

  async function login(app_: NestFastifyApplication, email: string, password: string, from = '203.0.113.1'): Promise<GraphqlReply<{ login: { token: string } }>> {
    const response = await app_.inject({
      method: 'POST',
      url: '/graphql',
      remoteAddress: from,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        query: 'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { token } }',
        variables: { email, password },
      }),
    });
    return { status: response.statusCode, headers: response.headers, body: response.json() };
  }
  const codeOf = (reply: GraphqlReply) => reply.body.errors?.[0]?.extensions?.code ?? 'OK';

  beforeAll(async () => {
    stack = await startTestStack();
    prisma = createPrismaClient(stack.databaseUrl, { poolSize: 2 });
    redis = new Redis(stack.redisUrl);
    const tenant = await new TenantService(prisma).create({ slug: 'acme', name: 'Acme', actor: 'test' });
    await new TenantService(prisma).markActive(tenant.id, 'test');
    const users = new UserService(prisma);
    for (const name of ['ann', 'bob', 'cat', 'dan', 'eve', 'fay']) {
      await users.create({ email: `${name}@acme.test`, password: PASSWORD, grant: { tenantSlug: 'acme', role: 'org_admin' }, actor: 'test' });
    }
    app = await startGateway(stack, { LOG_LEVEL: 'info' }, { logDestination: log });
  });

  afterAll(async () => {
    await app?.close();
    redis?.disconnect();
    await prisma?.$disconnect();
    await stack?.stop();
  });

  describe('throttling', () => {
    it('locks an account after 5 wrong passwords, so even the right one is refused, saying when to retry', async () => {
      for (let i = 0; i < 5; i++) expect(codeOf(await login(app, 'ann@acme.test', `wrong ${i}`))).toBe('UNAUTHENTICATED');
      const locked = await login(app, 'ann@acme.test', PASSWORD);
      expect(locked.body.data).toBeNull();
      expect(locked.body.errors).toEqual([
        expect.objectContaining({
          message: 'Too many sign-in attempts; try again in 30 seconds.',
          extensions: { code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 30 },
        }),
      ]);
    });

    it('throttles an unknown account exactly like a wrong password', async () => {
      const known: string[] = [];
      const unknown: string[] = [];
      for (let i = 0; i < 7; i++) {
        known.push(JSON.stringify((await login(app, 'bob@acme.test', 'wrong', '203.0.113.2')).body));
        unknown.push(JSON.stringify((await login(app, 'nobody@acme.test', 'wrong', '203.0.113.3')).body));
      }
      expect(unknown).toEqual(known);
      expect(known.map((b) => JSON.parse(b).errors[0].extensions.code)).toEqual([
        ...Array(5).fill('UNAUTHENTICATED'),
        'TOO_MANY_ATTEMPTS',
        'TOO_MANY_ATTEMPTS',
      ]);
    });

    it('lets only 5 of 40 parallel guesses reach the password check', async () => {
      const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => login(app, 'cat@acme.test', `guess ${i}`, `198.51.100.${i}`)));
      const codes = replies.map(codeOf);
      expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(5);
      expect(codes.filter((c) => c === 'TOO_MANY_ATTEMPTS')).toHaveLength(35);
    });

    it('lets the first attempt after the wait it told through, and doubles the lock after it', async () => {
      for (let i = 0; i < 5; i++) await login(app, 'dan@acme.test', 'wrong', '203.0.113.4');
      const first = await login(app, 'dan@acme.test', 'wrong', '203.0.113.4');
      expect(first.body.errors![0].extensions).toEqual({ code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 30 });
      const lock = `kineo:login:account:${createHash('sha256').update('dan@acme.test').digest('hex')}:lock`;
      // The wait told covers the lock; run it out without waiting: its key is all that holds it.
      expect(await redis.pttl(lock)).toBeGreaterThan(0);
      expect(await redis.pttl(lock)).toBeLessThanOrEqual(30_000);
      await redis.del(lock);
      expect(codeOf(await login(app, 'dan@acme.test', 'wrong again', '203.0.113.4'))).toBe('UNAUTHENTICATED');
      const second = await login(app, 'dan@acme.test', PASSWORD, '203.0.113.4');
      expect(second.body.errors![0].extensions).toEqual({ code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 60 });
      await redis.del(lock);
      expect(codeOf(await login(app, 'dan@acme.test', PASSWORD, '203.0.113.4'))).toBe('OK');
    });

    it('locks a client address that tries many accounts, while the same account signs in from elsewhere', async () => {
      const from = '192.0.2.50';
      for (let i = 0; i < 20; i++) expect(codeOf(await login(app, `spray-${i}@acme.test`, 'wrong', from))).toBe('UNAUTHENTICATED');
      expect(codeOf(await login(app, 'eve@acme.test', PASSWORD, from))).toBe('TOO_MANY_ATTEMPTS');
      expect(codeOf(await login(app, 'eve@acme.test', PASSWORD, '192.0.2.51'))).toBe('OK');
    });

    it('forgets the failures of an account once it signs in, and a successful sign-in does not use up its address', async () => {
      for (let i = 0; i < 4; i++) await login(app, 'fay@acme.test', 'wrong', '192.0.2.60');
      expect(codeOf(await login(app, 'fay@acme.test', PASSWORD, '192.0.2.60'))).toBe('OK');
      for (let i = 0; i < 4; i++) expect(codeOf(await login(app, 'fay@acme.test', 'wrong', '192.0.2.60'))).toBe('UNAUTHENTICATED');
      for (let i = 0; i < 30; i++) expect(codeOf(await login(app, 'fay@acme.test', PASSWORD, '192.0.2.61'))).toBe('OK');
    });

    it('lets 30 people behind one office address sign in at once (only failures count against an address)', async () => {
      const users = new UserService(prisma);
      const office = Array.from({ length: 30 }, (_, i) => `office-${i}@acme.test`);
      for (const email of office) await users.create({ email, password: PASSWORD, grant: { tenantSlug: 'acme', role: 'viewer' }, actor: 'test' });
      const replies = await Promise.all(office.map((email) => login(app, email, PASSWORD, '192.0.2.70')));
      expect(replies.map(codeOf)).toEqual(office.map(() => 'OK'));
      // The same address still locks after 20 wrong passwords, whoever they were for.
      for (let i = 0; i < 20; i++) expect(codeOf(await login(app, office[i % 30]!, 'wrong', '192.0.2.70'))).toBe('UNAUTHENTICATED');
      expect(codeOf(await login(app, office[29]!, PASSWORD, '192.0.2.70'))).toBe('TOO_MANY_ATTEMPTS');
    });

    it('shares the counts between gateways through Redis', async () => {
      const other = await startGateway(stack);
      try {
        expect(codeOf(await login(other, 'ann@acme.test', PASSWORD, '203.0.113.9'))).toBe('TOO_MANY_ATTEMPTS');
      } finally {
        await other.close();
      }
    });
  });

  describe('bounds on what an anonymous caller sends', () => {
    const failedLogins = () => prisma.auditEvent.count({ where: { action: 'auth.login_failed' } });

    it.each([
      ['a 1,000,000-character e-mail', { email: 'a'.repeat(1_000_000) + '@acme.test', password: 'x' }, 'email', /"email" is too long; at most 254 characters/],
      ['a 2,000-character password', { email: 'ann@acme.test', password: 'p'.repeat(2_000) }, 'password', /"password" is too long; at most 1024 characters/],
      ['a NUL byte in the tenant', { email: 'ann@acme.test', password: 'x', tenant: 'acme\u0000' }, 'tenant', /"tenant" contains a control character/],
      ['a tenant that is no slug', { email: 'ann@acme.test', password: 'x', tenant: 'Acme Health!' }, 'tenant', /"tenant" is not a tenant slug/],
      ['a control character in the e-mail', { email: 'ann@acme.test\n', password: 'x' }, 'email', /"email" contains a control character/],
    ])('refuses %s as BAD_USER_INPUT naming the argument, writing nothing', async (_case, variables, argument, message) => {
      const before = await failedLogins();
      const response = await app.inject({
        method: 'POST',
        url: '/graphql',
        remoteAddress: '203.0.113.200',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({
          query: 'mutation ($email: String!, $password: String!, $tenant: String) { login(email: $email, password: $password, tenant: $tenant) { token } }',
          variables,
        }),
      });
      const body = response.json();
      expect(body.data).toBeNull();
      expect(body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(message), extensions: { code: 'BAD_USER_INPUT', argument } })]);
      expect(await failedLogins()).toBe(before);
    });

    it('cuts what a caller sends to a bounded length in the audit log', async () => {
      await app.inject({
        method: 'POST',
        url: '/graphql',
        remoteAddress: '203.0.113.201',
        headers: { 'content-type': 'application/json', 'user-agent': 'u'.repeat(8_000) },
        payload: JSON.stringify({ query: 'mutation { login(email: "long-agent@acme.test", password: "wrong") { token } }' }),
      });
      const row = await prisma.auditEvent.findFirstOrThrow({ where: { action: 'auth.login_failed' }, orderBy: { id: 'desc' } });
      const details = row.details as { email: string; userAgent: string };
      expect(details.email).toBe('long-agent@acme.test');
      expect(details.userAgent.length).toBeLessThan(1100);
      expect(details.userAgent).toMatch(/… \(8000 characters\)$/);
    });
  });

  describe('the log', () => {
    it('never holds a password or a token, whether sent in the body, a header or the URL', async () => {
      const secrets = ['S3cret-In-Body-4471', 'S3cret-In-Url-9921', 'S3cret-Token-5150', 'S3cret-Header-6060'];
      await login(app, 'ann@acme.test', secrets[0]!, '203.0.113.210');
      const mutation = `mutation { login(email: "ann@acme.test", password: "${secrets[1]}") { token } }`;
      const refused = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(mutation)}`, remoteAddress: '203.0.113.211' });
      expect(refused.statusCode).toBeGreaterThanOrEqual(400);
      await app.inject({ method: 'GET', url: `/uploads?access_token=${secrets[2]}` });
      await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${secrets[3]}`, 'content-type': 'application/json' }, payload: '{"query":"{ me { email } }"}' });

      const text = log.lines.map((l) => JSON.stringify(l)).join('\n');
      expect(text).toContain('"url":"/graphql?[redacted]"');
      expect(text).toContain('"url":"/uploads?[redacted]"');
      for (const secret of secrets) expect(text).not.toContain(secret);
    });
  });

  // What the process prints to stderr from here on: a connection without an 'error' listener prints
  // each failed reconnect's stack there (the queues' did, dozens of times while Redis was away).
  let stderrErrors: jest.SpyInstance | undefined;

  // Stops this suite's Redis, so it stays last.
  describe('once Redis has gone away', () => {
    it('still signs people in, and logs that sign-in is unthrottled', async () => {
      stderrErrors = jest.spyOn(console, 'error');
      await stack.redis.stop();
      expect(codeOf(await login(app, 'eve@acme.test', PASSWORD, '192.0.2.70'))).toBe('OK');
      expect(codeOf(await login(app, 'eve@acme.test', 'wrong', '192.0.2.70'))).toBe('UNAUTHENTICATED');
      expect(log.lines.some((l) => /sign-in goes unthrottled/.test(String(l.msg)))).toBe(true);
    });
  });

  describe('once Postgres has gone away too', () => {
    it('answers HTTP 503 with Retry-After and the SERVICE_UNAVAILABLE error in the GraphQL body', async () => {
      const token = (await login(app, 'fay@acme.test', PASSWORD, '192.0.2.71')).body.data!.login.token;
      await stack.postgres.stop();

      const ask = async (query: string, headers: Record<string, string> = {}) => {
        const response = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify({ query }) });
        return { status: response.statusCode, retryAfter: response.headers['retry-after'], body: response.json<GraphqlReply['body']>() };
      };
      const signedIn = await ask('{ pendingInvitations { id } }', { authorization: `Bearer ${token}` });
      const anonymous = await login(app, 'fay@acme.test', PASSWORD, '192.0.2.72');

      expect(signedIn).toMatchObject({ status: 503, retryAfter: '5', body: { data: null } });
      expect(signedIn.body.errors).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/^The service is temporarily unavailable; try again shortly \(request id /), extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) }),
      ]);
      expect(anonymous.status).toBe(503);
      expect(codeOf(anonymous)).toBe('SERVICE_UNAVAILABLE');
      // A query the server refuses as written is still the client's problem, not an outage.
      expect((await ask('{ nosuchfield }')).status).toBe(400);
      // Redis has been away for the whole of this test and the last: its outage is in the log, not as stack traces.
      expect(stderrErrors?.mock.calls.map((call) => String(call[0])).filter((text) => /ECONNREFUSED|Unhandled error/.test(text))).toEqual([]);
      stderrErrors?.mockRestore();
    });
  });
});
