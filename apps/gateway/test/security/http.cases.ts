import { graphql } from '../support/gateway';
import { GRAPHQL_BODY_LIMIT, PORTAL_ADDRESS, PORTAL_ORIGIN, type World } from './world';

export function httpCases(world: () => World): void {
  describe('HTTP', () => {
    it('sends security headers on every answer', async () => {
      for (const url of ['/health/live', '/graphql?query=%7Bplatform%7Bservice%7D%7D', '/no-such-route']) {
        const response = await world().app.inject({ method: 'GET', url });
        expect(response.headers).toMatchObject({
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'SAMEORIGIN',
          'strict-transport-security': expect.stringMatching(/max-age=\d+/),
          'content-security-policy': expect.stringContaining("default-src 'self'"),
          'referrer-policy': 'no-referrer',
        });
        expect(response.headers['x-powered-by']).toBeUndefined();
      }
    });

    it('answers CORS only for the allow-listed origin', async () => {
      const preflight = (origin: string) =>
        world().app.inject({ method: 'OPTIONS', url: '/graphql', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
      const allowed = await preflight(PORTAL_ORIGIN);
      expect(allowed.statusCode).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe(PORTAL_ORIGIN);
      expect(allowed.headers['access-control-allow-headers']).toContain('authorization');
      const refused = await preflight('https://evil.example');
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      const simple = await world().app.inject({ method: 'GET', url: '/health/live', headers: { origin: 'https://evil.example' } });
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('refuses a GraphQL body over GRAPHQL_MAX_BODY_BYTES with 413 before parsing it', async () => {
      const query = `{ platform { service } } # ${'x'.repeat(GRAPHQL_BODY_LIMIT)}`;
      const response = await world().app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ query }) });
      expect(response.statusCode).toBe(413);
      const fits = await graphql(world().app, `{ platform { service } } # ${'x'.repeat(GRAPHQL_BODY_LIMIT / 2)}`);
      expect(fits.body.data).toEqual({ platform: { service: expect.any(String) } });
    });

    it('refuses a batch of operations in one request', async () => {
      const response = await world().app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify([{ query: '{ platform { service } }' }, { query: '{ platform { version } }' }]),
      });
      expect(response.statusCode).toBe(400);
      expect(response.body).not.toContain('"service"');
    });
  });

  describe('client address behind the portal', () => {
    async function failedLoginAddress(from: string, forwardedFor: string): Promise<unknown> {
      const w = world();
      const email = `probe-${from}-${forwardedFor}@acme.test`.replace(/[^a-z0-9@.-]/gi, '-');
      await w.app.inject({
        method: 'POST',
        url: '/graphql',
        remoteAddress: from,
        headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
        payload: JSON.stringify({ query: 'mutation ($e: String!) { login(email: $e, password: "wrong password") { token } }', variables: { e: email } }),
      });
      const event = await w.prisma.auditEvent.findFirstOrThrow({ where: { action: 'auth.login_failed', details: { path: ['email'], equals: email } } });
      return (event.details as { ip?: string }).ip;
    }

    it('takes the client address from X-Forwarded-For sent by a trusted proxy (the portal)', async () => {
      expect(await failedLoginAddress(PORTAL_ADDRESS, '198.51.100.7')).toBe('198.51.100.7');
      // A chain: the portal believes only its own peer, the last hop before it.
      expect(await failedLoginAddress(PORTAL_ADDRESS, '6.6.6.6, 198.51.100.8')).toBe('198.51.100.8');
    });

    it('ignores X-Forwarded-For from any other peer, so a forged one cannot dodge the per-address throttle', async () => {
      expect(await failedLoginAddress('203.0.113.50', '198.51.100.9')).toBe('203.0.113.50');
    });
  });
}
