import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EnvSecretStore, FileSecretStore } from '@kineo/config';
import { JWT_PREVIOUS_SECRET_NAME, JWT_SECRET_NAME, keyId, loadJwtSecret, loadSigningKeys, SessionTokens } from '../src';

const key = new TextEncoder().encode('k'.repeat(20) + 'e'.repeat(20));
const userId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const tenantId = '16fd2706-8baf-433b-82eb-8c7fada847da';

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('session tokens', () => {
  const tokens = new SessionTokens(key);

  it('carry the user, tenant and role, and expire after 12 hours by default', async () => {
    const before = Date.now();
    const { token, expiresAt } = await tokens.issue({ userId, tenantId, role: 'org_admin' });
    const claims = await tokens.verify(token);

    expect(claims).toEqual({ userId, tenantId, role: 'org_admin', issuedAt: expect.any(Date), expiresAt });
    expect(expiresAt.getTime() - before).toBeGreaterThan(12 * 3600 * 1000 - 2000);
    expect(expiresAt.getTime() - before).toBeLessThanOrEqual(12 * 3600 * 1000 + 1000);
  });

  it('for Kineo ops carry no tenant', async () => {
    const { token } = await tokens.issue({ userId, role: 'kineo_ops' });
    const claims = await tokens.verify(token);

    expect(claims.tenantId).toBeUndefined();
    expect(claims.role).toBe('kineo_ops');
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())).not.toHaveProperty('tid');
  });

  it('last as long as the configured TTL', async () => {
    const { expiresAt } = await new SessionTokens(key, 60).issue({ userId, tenantId, role: 'viewer' });
    expect(expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it('are refused once expired', async () => {
    const thirteenHoursAgo = new Date(Date.now() - 13 * 3600 * 1000);
    const { token } = await new SessionTokens(key, undefined, () => thirteenHoursAgo).issue({ userId, tenantId, role: 'org_admin' });

    await expect(tokens.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/sign in again/) });
  });

  it('verified once are still refused once they expire', async () => {
    // A clock the test moves: the token is checked (and remembered) while valid, then used after its expiry.
    let now = new Date('2025-06-30T08:00:00Z');
    const clocked = new SessionTokens(key, 60, () => now);
    const { token } = await clocked.issue({ userId, tenantId, role: 'org_admin' });
    expect(await clocked.verify(token)).toMatchObject({ userId, tenantId });
    expect(await clocked.verify(token)).toMatchObject({ userId, tenantId });

    now = new Date('2025-06-30T08:01:00Z');
    await expect(clocked.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    now = new Date('2025-06-30T08:00:30Z');
    expect(await clocked.verify(token)).toMatchObject({ userId });
  });

  it('are refused when the claims were changed after signing', async () => {
    const { token } = await tokens.issue({ userId, tenantId, role: 'viewer' });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const promoted = `${header}.${base64url({ ...claims, role: 'org_admin' })}.${signature}`;
    const otherTenant = `${header}.${base64url({ ...claims, tid: '0b6d5a1c-3f4e-4a5b-9c8d-7e6f5a4b3c2d' })}.${signature}`;

    await expect(tokens.verify(promoted)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(tokens.verify(otherTenant)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('are refused when signed with another key or with no signature at all', async () => {
    const { token } = await new SessionTokens(new TextEncoder().encode('x'.repeat(40))).issue({ userId, tenantId, role: 'org_admin' });
    const [, payload] = token.split('.') as [string, string];
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`;

    await expect(tokens.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(tokens.verify(unsigned)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(tokens.verify('not a token')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('name their key (kid); during a rotation the previous key is accepted, a key no longer held is not', async () => {
    const next = new TextEncoder().encode('n'.repeat(48));
    const { token: old } = await tokens.issue({ userId, tenantId, role: 'viewer' });
    const rotated = new SessionTokens({ current: next, previous: key });
    const { token: fresh } = await rotated.issue({ userId, tenantId, role: 'viewer' });

    expect(JSON.parse(Buffer.from(fresh.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'HS256', kid: keyId(next) });
    await expect(rotated.verify(old)).resolves.toMatchObject({ userId });
    await expect(new SessionTokens(next).verify(old)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(tokens.verify(fresh)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuse a tenant role without a tenant, even when properly signed', async () => {
    const { token } = await tokens.issue({ userId, role: 'org_admin' });
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('the signing secret', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-auth-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is generated and stored when the first token is signed, then reused, so tokens survive a restart', async () => {
    const store = new FileSecretStore(dir);
    expect(await store.get(JWT_SECRET_NAME)).toBeUndefined();

    const first = SessionTokens.fromSecretStore(store);
    expect(await store.get(JWT_SECRET_NAME)).toBeUndefined();
    const { token } = await first.issue({ userId, tenantId, role: 'manager' });
    const stored = await store.get(JWT_SECRET_NAME);
    expect(stored!.length).toBeGreaterThanOrEqual(64);

    const restarted = SessionTokens.fromSecretStore(store);
    await expect(restarted.verify(token)).resolves.toMatchObject({ userId, role: 'manager' });
    expect(await store.get(JWT_SECRET_NAME)).toBe(stored);
  });

  it('is never generated when required (production): the error says what to store', async () => {
    const store = new FileSecretStore(dir);
    await expect(loadJwtSecret(store, { required: true })).rejects.toMatchObject({ code: 'AUTH_SECRET_INVALID', message: expect.stringMatching(/"auth-jwt-secret" is not set/) });
    expect(await store.get(JWT_SECRET_NAME)).toBeUndefined();
  });

  it('comes with the previous key while one is stored, each checked for length', async () => {
    const store = new FileSecretStore(dir);
    await store.set(JWT_SECRET_NAME, 'c'.repeat(48));
    expect(await loadSigningKeys(store)).toEqual({ current: new TextEncoder().encode('c'.repeat(48)) });
    await store.set(JWT_PREVIOUS_SECRET_NAME, 'p'.repeat(48));
    expect(await loadSigningKeys(store)).toEqual({ current: new TextEncoder().encode('c'.repeat(48)), previous: new TextEncoder().encode('p'.repeat(48)) });
    await store.set(JWT_PREVIOUS_SECRET_NAME, 'short');
    await expect(loadSigningKeys(store)).rejects.toMatchObject({ code: 'AUTH_SECRET_INVALID', message: expect.stringContaining(JWT_PREVIOUS_SECRET_NAME) });
  });

  it('is refused when too short to be safe', async () => {
    const store = new FileSecretStore(dir);
    await store.set(JWT_SECRET_NAME, 'short');
    await expect(loadJwtSecret(store)).rejects.toMatchObject({ code: 'AUTH_SECRET_INVALID' });
  });

  it('must be provisioned when the store is read-only, and the error says how', async () => {
    await expect(loadJwtSecret(new EnvSecretStore({}))).rejects.toThrow(/KINEO_SECRET_AUTH_JWT_SECRET/);
    await expect(loadJwtSecret(new EnvSecretStore({ KINEO_SECRET_AUTH_JWT_SECRET: 's'.repeat(48) }))).resolves.toBeInstanceOf(Uint8Array);
  });
});
