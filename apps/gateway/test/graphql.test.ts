import fs from 'node:fs';
import { startTestStack, type TestStack } from '@kineo/testkit';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SCHEMA_FILE, schemaSdl } from '../src/engine/graphql/schema-file.util';
import { FailingModule, RAW_FAILURE } from './support/failing.module';
import { graphql, LogCapture, type LogLine, startGateway } from './support/gateway';

const gatewayVersion = (JSON.parse(fs.readFileSync(`${__dirname}/../package.json`, 'utf8')) as { version: string }).version;

describe('the GraphQL API', () => {
  let stack: TestStack;
  let app: NestFastifyApplication;
  const logs = new LogCapture();
  const errorsLoggedSince = (from: number): LogLine[] =>
    logs.lines.slice(from).filter((line) => line.level === 'error' || Number(line.level) >= 50);

  beforeAll(async () => {
    stack = await startTestStack();
    app = await startGateway(stack, { LOG_LEVEL: 'info' }, { modules: [FailingModule], logDestination: logs });
  });

  afterAll(async () => {
    await app?.close();
    await stack?.stop();
  });

  it('answers the platform query with the service, its version, the environment and the time', async () => {
    const before = Date.now();
    const reply = await graphql<{ platform: { service: string; version: string; environment: string; time: string } }>(
      app,
      '{ platform { service version environment time } }',
    );

    expect(reply.status).toBe(200);
    expect(reply.body.errors).toBeUndefined();
    const platform = reply.body.data!.platform;
    expect(platform).toEqual({ service: 'gateway', version: gatewayVersion, environment: 'test', time: expect.any(String) });
    expect(Date.parse(platform.time)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('passes a domain error to the client with its code and safe message, and logs no error for it', async () => {
    const logged = logs.lines.length;
    const reply = await graphql(app, '{ failsWithDomainError }');

    expect(reply.status).toBe(200);
    expect(reply.body.errors).toEqual([
      {
        message: 'This organisation is suspended. Contact Kineo support.',
        locations: [{ line: 1, column: 3 }],
        path: ['failsWithDomainError'],
        extensions: { code: 'TENANT_SUSPENDED' },
      },
    ]);
    // The caller's own mistake (or state) is no fault of the service: an error-level line with a stack
    // for each would bury the real failures ops look for.
    expect(errorsLoggedSince(logged)).toEqual([]);
  });

  it('hides an unexpected error behind INTERNAL and the request id, never its message, and logs it once with the id', async () => {
    const logged = logs.lines.length;
    const reply = await graphql(app, '{ failsUnexpectedly }', { 'x-request-id': 'support-ticket-42' });

    expect(reply.status).toBe(200);
    expect(reply.body.data).toBeNull();
    expect(reply.body.errors).toEqual([
      {
        message: expect.stringContaining('support-ticket-42'),
        locations: [{ line: 1, column: 3 }],
        path: ['failsUnexpectedly'],
        extensions: { code: 'INTERNAL', requestId: 'support-ticket-42' },
      },
    ]);
    const raw = JSON.stringify(reply.body);
    expect(raw).not.toContain('ECONNREFUSED');
    expect(raw).not.toContain('hunter2');
    expect(raw).not.toContain('10.20.30.40');
    expect(raw).not.toContain(RAW_FAILURE);
    const errors = errorsLoggedSince(logged);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ reqId: 'support-ticket-42', err: expect.objectContaining({ message: RAW_FAILURE }) });
  });

  it('rejects a query the schema does not allow with 400 and GRAPHQL_VALIDATION_FAILED', async () => {
    const reply = await graphql(app, '{ platform { shoeSize } }');

    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual([
      expect.objectContaining({
        message: 'Cannot query field "shoeSize" on type "Platform".',
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    ]);
  });

  it('rejects a body that is not JSON with 400 and BAD_REQUEST', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json' },
      payload: '{ "query": ',
    });

    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } })]);
  });

  describe('schema.graphql', () => {
    let plain: NestFastifyApplication;

    beforeAll(async () => {
      plain = await startGateway(stack);
    });

    afterAll(async () => {
      await plain?.close();
    });

    it('is the schema the gateway serves (regenerate with npm run schema)', () => {
      const served = schemaSdl(plain.get(GraphQLSchemaHost).schema);

      expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(served);
      expect(served).not.toContain('failsUnexpectedly');
    });
  });
});
