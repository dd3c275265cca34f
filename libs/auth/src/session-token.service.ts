import { createHash, randomBytes } from 'node:crypto';
import type { SecretStore } from '@kineo/config';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { AuthError, sessionInvalid } from './auth.exception';
import { SESSION_ROLES, type SessionRole } from './tenant-context.types';

export const JWT_SECRET_NAME = 'auth-jwt-secret';
export const DEFAULT_SESSION_TTL_SECONDS = 12 * 60 * 60;

const ISSUER = 'kineo';
const AUDIENCE = 'kineo';
const ALGORITHM = 'HS256';
const SECRET_MIN_LENGTH = 32;
/**
 * Tokens whose signature this process already checked, so a caller's every request does not pay for
 * HMAC verification again (about 1 ms of CPU a request under load). A signature's validity never
 * changes for a given key; expiry is checked on every use. Bounded: the oldest entry goes first.
 */
const VERIFIED_TOKENS_MAX = 10_000;

/** What a session token says, after its signature and expiry have been checked. */
export interface SessionClaims {
  userId: string;
  /** Absent for a platform (Kineo ops) session. */
  tenantId?: string;
  role: SessionRole;
  /** The sign-in (Session row) the token belongs to; tokens from before sessions were stored have none and are refused. */
  sessionId?: string;
  issuedAt: Date;
  expiresAt: Date;
}

const claimsSchema = z.object({
  sub: z.uuid(),
  tid: z.uuid().optional(),
  role: z.enum(SESSION_ROLES),
  sid: z.uuid().optional(),
  iat: z.number().int(),
  exp: z.number().int(),
});

/** The key tokens are signed with, and the one before it, still accepted while its tokens live out. */
export interface SigningKeys {
  current: Uint8Array;
  previous?: Uint8Array;
}

/** Where the previous signing key waits during a rotation; see docs/security.md. */
export const JWT_PREVIOUS_SECRET_NAME = 'auth-jwt-secret-previous';

function checkedSecret(name: string, secret: string): Uint8Array {
  if (secret.length < SECRET_MIN_LENGTH) {
    throw new AuthError(
      'AUTH_SECRET_INVALID',
      `The secret "${name}" must have at least ${SECRET_MIN_LENGTH} characters; delete it to have one generated, or store a longer one.`,
    );
  }
  return new TextEncoder().encode(secret);
}

/**
 * The HS256 key, from the secret store. Unless `required`, it is made and stored on first use so a
 * fresh install needs no step; re-read after storing so processes racing to create it settle on the
 * value that was kept. A production gateway passes `required`: a key it made itself would differ
 * per replica and vanish with the container, so it must be provisioned.
 */
export async function loadJwtSecret(secrets: SecretStore, options: { required?: boolean } = {}): Promise<Uint8Array> {
  let secret = await secrets.get(JWT_SECRET_NAME);
  if (secret === undefined && options.required) {
    throw new AuthError(
      'AUTH_SECRET_INVALID',
      `The secret "${JWT_SECRET_NAME}" is not set, and in production it is never generated: store ${SECRET_MIN_LENGTH} or more random characters under that name in the secret store.`,
    );
  }
  if (secret === undefined) {
    await secrets.set(JWT_SECRET_NAME, randomBytes(48).toString('base64url'));
    secret = await secrets.get(JWT_SECRET_NAME);
  }
  if (secret === undefined) throw new AuthError('AUTH_SECRET_INVALID', `The secret "${JWT_SECRET_NAME}" could not be stored.`);
  return checkedSecret(JWT_SECRET_NAME, secret);
}

/** The current key and, during a rotation, the previous one. */
export async function loadSigningKeys(secrets: SecretStore, options: { required?: boolean } = {}): Promise<SigningKeys> {
  const current = await loadJwtSecret(secrets, options);
  const previous = await secrets.get(JWT_PREVIOUS_SECRET_NAME);
  return previous === undefined ? { current } : { current, previous: checkedSecret(JWT_PREVIOUS_SECRET_NAME, previous) };
}

/**
 * A key's id: a digest of the key itself, so no id has to be stored next to it and two gateways
 * holding the same key always agree on its id.
 */
export function keyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 16);
}

/** The signing keys, or where to get them the first time they are needed. */
export type SessionKeySource = Uint8Array | SigningKeys | (() => Promise<Uint8Array | SigningKeys>);

interface KeyRing {
  signing: { kid: string; key: Uint8Array };
  byKid: Map<string, Uint8Array>;
}

function keyRing(keys: Uint8Array | SigningKeys): KeyRing {
  const ring = keys instanceof Uint8Array ? { current: keys } : keys;
  const byKid = new Map<string, Uint8Array>([[keyId(ring.current), ring.current]]);
  if (ring.previous) byKid.set(keyId(ring.previous), ring.previous);
  return { signing: { kid: keyId(ring.current), key: ring.current }, byKid };
}

/**
 * How long after one re-read of the store an unknown `kid` may cause another: a token from a
 * gateway that rotated first is accepted at once, and forged kids cannot hammer Key Vault.
 */
const KEY_RELOAD_INTERVAL_MS = 30_000;

/** Signs and verifies session tokens (JWT, HS256, with the signing key's `kid`). */
export class SessionTokens {
  private loadedKeys?: Promise<KeyRing>;
  private lastReload?: number;
  private readonly verified = new Map<string, SessionClaims>();

  constructor(
    private readonly keySource: SessionKeySource,
    readonly ttlSeconds: number = DEFAULT_SESSION_TTL_SECONDS,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`session TTL must be a positive number of seconds, got ${ttlSeconds}`);
  }

  /** Tokens keyed by the stored secrets, read (or, unless `required`, created) on first use rather than at start-up. */
  static fromSecretStore(secrets: SecretStore, ttlSeconds?: number, options: { required?: boolean } = {}): SessionTokens {
    return new SessionTokens(() => loadSigningKeys(secrets, options), ttlSeconds);
  }

  /** Reads the keys now, so a process that must have them fails at start rather than at the first sign-in. */
  async ready(): Promise<void> {
    await this.keys();
  }

  private keys(): Promise<KeyRing> {
    const source = this.keySource;
    if (typeof source !== 'function') return Promise.resolve(keyRing(source));
    // A failed read (Key Vault briefly unreachable) is tried again by the next caller.
    this.loadedKeys ??= source()
      .then(keyRing)
      .catch((error: unknown) => {
        this.loadedKeys = undefined;
        throw error;
      });
    return this.loadedKeys;
  }

  /** The key a token names; an unknown kid re-reads the store (rarely), since another gateway may have rotated first. */
  private async keyFor(kid: string | undefined): Promise<Uint8Array | undefined> {
    const ring = await this.keys();
    // Tokens from before keys had ids carry none; only the current key may have signed them.
    if (kid === undefined) return ring.signing.key;
    if (typeof kid !== 'string') return undefined;
    const known = ring.byKid.get(kid);
    if (known || typeof this.keySource !== 'function') return known;
    const now = this.now().getTime();
    if (this.lastReload !== undefined && now - this.lastReload < KEY_RELOAD_INTERVAL_MS) return undefined;
    this.lastReload = now;
    this.loadedKeys = undefined;
    // Re-read keys: what was verified with the old ring is checked again against the new one.
    this.verified.clear();
    return (await this.keys()).byKid.get(kid);
  }

  async issue(session: { userId: string; tenantId?: string; role: SessionRole; sessionId?: string }): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    const expiresAt = issuedAt + this.ttlSeconds;
    const { signing } = await this.keys();
    const token = await new SignJWT({
      role: session.role,
      ...(session.tenantId ? { tid: session.tenantId } : {}),
      ...(session.sessionId ? { sid: session.sessionId } : {}),
    })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', kid: signing.kid })
      .setSubject(session.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(signing.key);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /** The claims of a genuine, unexpired token; UNAUTHENTICATED for anything else. */
  async verify(token: string): Promise<SessionClaims> {
    const known = this.verified.get(token);
    if (known) {
      // The same rule as jose's: expired once the clock reaches `exp`.
      if (known.expiresAt.getTime() > this.now().getTime()) return known;
      this.verified.delete(token);
      throw sessionInvalid();
    }
    const claims = await this.verifySignature(token);
    if (this.verified.size >= VERIFIED_TOKENS_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return claims;
  }

  private async verifySignature(token: string): Promise<SessionClaims> {
    let kid: string | undefined;
    try {
      ({ kid } = decodeProtectedHeader(token));
    } catch {
      throw sessionInvalid();
    }
    const key = await this.keyFor(kid);
    if (!key) throw sessionInvalid();
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['sub', 'exp', 'iat'],
        currentDate: this.now(),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw sessionInvalid();
      throw error;
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw sessionInvalid();
    const { sub, tid, role, sid, iat, exp } = claims.data;
    // A tenant role needs a tenant and ops has none; a token saying otherwise was not made here.
    if ((role === 'kineo_ops') !== (tid === undefined)) throw sessionInvalid();
    return { userId: sub, tenantId: tid, role, sessionId: sid, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) };
  }
}
