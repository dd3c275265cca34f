import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { JWT_PREVIOUS_SECRET_NAME, JWT_SECRET_NAME, keyId, loadJwtSecret, SessionTokens } from '@kineo/auth';
import { ConfigError, createSecretStore, loadSettings } from '@kineo/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { createGateway } from '../../src/app';
import { graphql, startGateway } from '../support/gateway';
import { bearer, codeOf, PASSWORD, type World } from './world';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function tokenCases(world: () => World): void {
  const me = (token: string) => graphql(world().app, '{ me { email } }', bearer(token));
  const secrets = () => createSecretStore(loadSettings(world().stack.env));
  /** The claims of a genuine session of acme's admin, to forge around. */
  async function genuineClaims() {
    const w = world();
    const admin = await w.prisma.user.findUniqueOrThrow({ where: { email: 'admin@acme.test' } });
    const session = await w.prisma.session.findFirstOrThrow({ where: { userId: admin.id, revokedAt: null } });
    return { sub: admin.id, tid: w.acme.id, role: 'org_admin', sid: session.id };
  }

  describe('session tokens', () => {
    it("are HS256 and carry the signing key's kid", async () => {
      const { kid, alg } = decodeProtectedHeader(world().tokens.acmeAdmin);
      expect(alg).toBe('HS256');
      expect(kid).toBe(keyId(await loadJwtSecret(secrets())));
      expect((await me(world().tokens.acmeAdmin)).body.data).toEqual({ me: { email: 'admin@acme.test' } });
    });

    it('refuses alg "none", with or without a kid', async () => {
      const claims = { ...(await genuineClaims()), iss: 'kineo', aud: 'kineo', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 };
      const { kid } = decodeProtectedHeader(world().tokens.acmeAdmin);
      for (const header of [{ alg: 'none', typ: 'JWT' }, { alg: 'none', typ: 'JWT', kid }]) {
        expect(codeOf(await me(`${b64(header)}.${b64(claims)}.`))).toBe('UNAUTHENTICATED');
      }
    });

    it('refuses a token signed with another key, with another algorithm, or for another audience or issuer', async () => {
      const claims = await genuineClaims();
      const real = await loadJwtSecret(secrets());
      const { kid } = decodeProtectedHeader(world().tokens.acmeAdmin);
      const sign = (key: Uint8Array, alg: string, audience: string, issuer: string, withKid = kid) =>
        new SignJWT(claims).setProtectedHeader({ alg, ...(withKid ? { kid: withKid } : {}) }).setAudience(audience).setIssuer(issuer).setIssuedAt().setExpirationTime('10m').sign(key);
      const forged = [
        await sign(randomBytes(48), 'HS256', 'kineo', 'kineo'),
        await sign(randomBytes(48), 'HS256', 'kineo', 'kineo', keyId(randomBytes(48))),
        await sign(real, 'HS512', 'kineo', 'kineo'),
        await sign(real, 'HS256', 'other-app', 'kineo'),
        await sign(real, 'HS256', 'kineo', 'someone-else'),
      ];
      for (const token of forged) expect(codeOf(await me(token))).toBe('UNAUTHENTICATED');
      // The same claims, signed as the gateway signs them, are accepted: the refusals above are about the forgery.
      expect(codeOf(await me(await sign(real, 'HS256', 'kineo', 'kineo')))).toBe('OK');
    });

    it('refuses an expired token', async () => {
      const yesterday = new SessionTokens(() => loadJwtSecret(secrets()), 3600, () => new Date(Date.now() - 24 * 3600 * 1000));
      const claims = await genuineClaims();
      const { token } = await yesterday.issue({ userId: claims.sub, tenantId: claims.tid, role: 'org_admin', sessionId: claims.sid });
      expect(codeOf(await me(token))).toBe('UNAUTHENTICATED');
    });

    it('refuses a revoked token: after logout neither the access token nor the refresh token works', async () => {
      const w = world();
      const login = await graphql<{ login: { token: string; refreshToken: string } }>(
        w.app,
        'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token refreshToken } }',
        { 'x-forwarded-for': '192.0.2.77' },
        { e: 'viewer@acme.test', p: PASSWORD },
      );
      const { token, refreshToken } = login.body.data!.login;
      w.secrets.add(token).add(refreshToken);
      expect(codeOf(await me(token))).toBe('OK');
      expect(codeOf(await graphql(w.app, 'mutation { logout }', bearer(token)))).toBe('OK');
      expect(codeOf(await me(token))).toBe('UNAUTHENTICATED');
      const refresh = await graphql(w.app, 'mutation ($r: String!) { refreshSession(refreshToken: $r) { token } }', {}, { r: refreshToken });
      expect(codeOf(refresh)).toBe('UNAUTHENTICATED');
    });

    // Last of this block: it rotates the suite's signing key.
    it('rotate: a gateway on the new key accepts tokens of the previous one, one still on the old key accepts the new ones, a retired key is refused', async () => {
      const w = world();
      const store = secrets();
      const oldSecret = (await store.get(JWT_SECRET_NAME))!;
      const oldToken = w.tokens.acmeAdmin;
      const started: NestFastifyApplication[] = [];
      const gateway = async () => {
        const app = await startGateway(w.stack);
        started.push(app);
        return app;
      };
      const meOn = async (app: NestFastifyApplication, token: string) => codeOf(await graphql(app, '{ me { email } }', bearer(token)));
      try {
        const beforeRotation = await gateway();
        expect(await meOn(beforeRotation, oldToken)).toBe('OK');

        await store.set(JWT_PREVIOUS_SECRET_NAME, oldSecret);
        await store.set(JWT_SECRET_NAME, randomBytes(48).toString('base64url'));
        const rotated = await gateway();
        const login = await graphql<{ login: { token: string } }>(
          rotated,
          'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }',
          {},
          { e: 'manager@acme.test', p: PASSWORD },
        );
        const newToken = login.body.data!.login.token;
        w.secrets.add(newToken);
        expect(decodeProtectedHeader(newToken).kid).toBe(keyId(await loadJwtSecret(store)));
        expect(decodeProtectedHeader(newToken).kid).not.toBe(decodeProtectedHeader(oldToken).kid);
        expect(await meOn(rotated, oldToken)).toBe('OK');
        // A gateway still holding only the old key reads the store again on first sight of the new kid.
        expect(await meOn(beforeRotation, newToken)).toBe('OK');

        // Rotation over: the previous key is deleted, and a gateway started now refuses its tokens.
        await store.delete(JWT_PREVIOUS_SECRET_NAME);
        const retired = await gateway();
        expect(await meOn(retired, oldToken)).toBe('UNAUTHENTICATED');
        expect(await meOn(retired, newToken)).toBe('OK');
      } finally {
        for (const app of started) await app.close();
        // Both keys back, so the suite's remaining tokens stay good.
        await store.set(JWT_PREVIOUS_SECRET_NAME, oldSecret);
      }
    });
  });

  describe('starting in production', () => {
    let emptyDataDir: string;
    beforeAll(() => {
      emptyDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-security-'));
    });
    afterAll(() => fs.rmSync(emptyDataDir, { recursive: true, force: true }));

    it('refuses to start without the signing key, and generates none', async () => {
      const env = { ...world().stack.env, NODE_ENV: 'production', KINEO_DATA_DIR: emptyDataDir };
      await expect(createGateway(loadSettings(env))).rejects.toMatchObject({ code: 'AUTH_SECRET_INVALID', message: expect.stringMatching(/auth-jwt-secret" is not set/) });
      expect(await createSecretStore(loadSettings(env)).get(JWT_SECRET_NAME)).toBeUndefined();
      // The settings flag asks for the same outside production.
      await expect(createGateway(loadSettings({ ...env, NODE_ENV: 'test', AUTH_REQUIRE_SECRETS: 'true' }))).rejects.toMatchObject({ code: 'AUTH_SECRET_INVALID' });
    });

    it('refuses to start on the development database password', async () => {
      const env: Record<string, string | undefined> = { ...world().stack.env, NODE_ENV: 'production', DATABASE_URL: undefined };
      const failure = await createGateway(loadSettings(env)).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConfigError);
      expect((failure as ConfigError).message).toMatch(/DATABASE_URL: must be set in production/);
    });

    it('with its secrets, starts; introspection is off and the schema stays private', async () => {
      let production: NestFastifyApplication | undefined;
      try {
        production = await createGateway(loadSettings({ ...world().stack.env, NODE_ENV: 'production' }));
        const introspection = await graphql(production, '{ __schema { types { name } } }');
        expect(introspection.body.data ?? null).toBeNull();
        expect(introspection.body.errors?.[0]?.message).toMatch(/introspection/i);
        expect(codeOf(await graphql(production, '{ platform { environment } }'))).toBe('OK');
      } finally {
        await production?.close();
      }
    });

    it("in production, Microsoft sign-in's issuer is Entra ID's host over https only: a loopback one is refused when saved, and never fetched for an anonymous start", async () => {
      const w = world();
      // A loopback service an org admin would like the gateway to read (the QA's Redis, /metrics).
      const hits: string[] = [];
      const server = http.createServer((request, response) => {
        hits.push(request.url ?? '');
        response.writeHead(404).end('# HELP secret');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      let production: NestFastifyApplication | undefined;
      try {
        production = await createGateway(loadSettings({ ...w.stack.env, NODE_ENV: 'production' }));
        const configure = (issuer: string) =>
          graphql(production!, `mutation { configureMicrosoftSignIn(issuer: ${JSON.stringify(issuer)}, clientId: "c", allowedDomains: []) }`, bearer(w.tokens.globexAdmin));
        const loopback = await configure(`${base}/directory/v2.0`);
        expect(codeOf(loopback)).toBe('USER_INPUT_INVALID');
        expect(loopback.body.errors?.[0]?.message).toBe(`The issuer "${base}/directory/v2.0" must use https; Entra ID's is https://login.microsoftonline.com/<directory id>/v2.0.`);
        const elsewhere = await configure('https://localhost/directory/v2.0');
        expect(elsewhere.body.errors?.[0]?.message).toContain("must be on login.microsoftonline.com (Kineo's operators can allow more hosts with OIDC_ALLOWED_ISSUER_HOSTS)");
        expect(await w.prisma.oidcProvider.count({ where: { tenantId: w.globex.id } })).toBe(0);

        // One saved before this rule (or written behind the gateway's back) is not fetched either.
        await w.prisma.oidcProvider.create({ data: { tenantId: w.globex.id, issuer: `${base}/directory/v2.0`, clientId: 'c', allowedDomains: [] } });
        const start = await production.inject({ method: 'GET', url: '/auth/oidc/globex/start?nonce=a-portal-nonce-0123456789abcdef' });
        expect(start.statusCode).toBe(302);
        expect(String(start.headers.location)).toMatch(/\/auth\/callback#error=OIDC_UNAVAILABLE$/);
        expect(hits).toEqual([]);
      } finally {
        await w.prisma.oidcProvider.deleteMany({ where: { tenantId: w.globex.id } });
        await production?.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });
}
