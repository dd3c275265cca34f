import { startTestStack, type TestStack } from '@kineo/testkit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FailingModule, RAW_FAILURE } from './support/failing.module';
import { graphql, LogCapture, startGateway } from './support/gateway';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids, logs and metrics', () => {
  let stack: TestStack;
  let app: NestFastifyApplication;
  // nestjs-pino keeps one root logger per process, so this suite's first gateway decides where logs go.
  const logs = new LogCapture();

  beforeAll(async () => {
    stack = await startTestStack();
    app = await startGateway(stack, { LOG_LEVEL: 'info' }, { modules: [FailingModule], logDestination: logs });
  });

  afterAll(async () => {
    await app?.close();
    await stack?.stop();
  });

  describe('request ids', () => {
    it('echoes the x-request-id a caller sends', async () => {
      const response = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'portal.7f3a-01_b' } });

      expect(response.headers['x-request-id']).toBe('portal.7f3a-01_b');
    });

    it('generates one when the caller sends none', async () => {
      const first = await app.inject({ method: 'GET', url: '/health/live' });
      const second = await app.inject({ method: 'GET', url: '/health/live' });

      expect(first.headers['x-request-id']).toMatch(UUID);
      expect(second.headers['x-request-id']).toMatch(UUID);
      expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    });

    it.each([
      ['too long', 'a'.repeat(129)],
      ['with characters outside A-Z a-z 0-9 . _ -', 'abc def<script>'],
    ])('replaces one that is %s', async (_why, sent) => {
      const response = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': sent } });

      expect(response.headers['x-request-id']).toMatch(UUID);
    });

    it('puts the request id on every log line of the request, the server-side error included', async () => {
      const from = logs.lines.length;
      const reply = await graphql(app, '{ failsUnexpectedly }', { 'x-request-id': 'trace-boom-1' });
      const lines = logs.lines.slice(from);

      expect(reply.headers['x-request-id']).toBe('trace-boom-1');
      expect(lines.length).toBeGreaterThanOrEqual(2);
      for (const line of lines) expect(line.reqId).toBe('trace-boom-1');
      // The real cause is in the log for whoever gets the support ticket, and only there.
      const failure = lines.find((line) => line.level === 'error' && JSON.stringify(line).includes(RAW_FAILURE));
      expect(failure).toBeDefined();
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'request completed', req: expect.objectContaining({ url: '/graphql' }) }),
      );
    });
  });

  describe('metrics', () => {
    it('counts requests by method, route pattern and status code', async () => {
      await app.inject({ method: 'GET', url: '/health/live' });
      await graphql(app, '{ platform { service } }');
      await app.inject({ method: 'GET', url: '/no/such/page-8431?token=abc' });

      const response = await app.inject({ method: 'GET', url: '/metrics' });

      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/plain');
      const text = response.body;
      expect(sample(text, 'http_requests_total', { method: 'GET', route: '/health/live', status_code: '200' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'http_requests_total', { method: 'POST', route: '/graphql', status_code: '200' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'http_requests_total', { method: 'GET', route: 'unmatched', status_code: '404' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status_code: '200' })).toBeGreaterThanOrEqual(1);
      // Labels carry route patterns, so raw URLs (and what is in their query strings) never appear.
      expect(text).not.toContain('page-8431');
      expect(text).toContain('process_cpu_user_seconds_total');
    });

    describe('with METRICS_ENABLED=false', () => {
      let quiet: NestFastifyApplication;

      beforeAll(async () => {
        quiet = await startGateway(stack, { METRICS_ENABLED: 'false' });
      });

      afterAll(async () => {
        await quiet?.close();
      });

      it('serves no /metrics', async () => {
        const response = await quiet.inject({ method: 'GET', url: '/metrics' });

        expect(response.statusCode).toBe(404);
      });
    });
  });
});

/** The value of one Prometheus sample with exactly these labels, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (JSON.stringify(found, Object.keys(found).sort()) === JSON.stringify(labels, Object.keys(labels).sort())) {
      return Number(match[3]);
    }
  }
  return undefined;
}
