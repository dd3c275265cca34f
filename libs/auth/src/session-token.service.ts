import { randomBytes } from 'node:crypto';
import type { SecretStore } from '@kineo/config';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { AuthError, sessionInvalid } from './auth.exception';
import { SESSION_ROLES, type SessionRole } from './tenant-context.types';

export const JWT_SECRET_NAME = 'auth-jwt-secret';
export const DEFAULT_SESSION_TTL_SECONDS = 12 * 60 * 60;

const ISSUER = 'kineo';
const AUDIENCE = 'kineo';
const ALGORITHM = 'HS256';
const SECRET_MIN_LENGTH = 32;

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

/**
 * The HS256 key, from the secret store; made and stored on first use so a fresh install needs no
 * step. Re-read after storing so processes racing to create it settle on the value that was kept.
 */
export async function loadJwtSecret(secrets: SecretStore): Promise<Uint8Array> {
  let secret = await secrets.get(JWT_SECRET_NAME);
  if (secret === undefined) {
    await secrets.set(JWT_SECRET_NAME, randomBytes(48).toString('base64url'));
    secret = await secrets.get(JWT_SECRET_NAME);
  }
  if (secret === undefined || secret.length < SECRET_MIN_LENGTH) {
    throw new AuthError(
      'AUTH_SECRET_INVALID',
      `The secret "${JWT_SECRET_NAME}" must have at least ${SECRET_MIN_LENGTH} characters; delete it to have one generated, or store a longer one.`,
    );
  }
  return new TextEncoder().encode(secret);
}

/** The signing key, or where to get it the first time it is needed. */
export type SessionKeySource = Uint8Array | (() => Promise<Uint8Array>);

/** Signs and verifies session tokens (JWT, HS256). */
export class SessionTokens {
  private loadedKey?: Promise<Uint8Array>;

  constructor(
    private readonly keySource: SessionKeySource,
    readonly ttlSeconds: number = DEFAULT_SESSION_TTL_SECONDS,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`session TTL must be a positive number of seconds, got ${ttlSeconds}`);
  }

  /** Tokens keyed by the stored secret, read (or created) on first use rather than at start-up. */
  static fromSecretStore(secrets: SecretStore, ttlSeconds?: number): SessionTokens {
    return new SessionTokens(() => loadJwtSecret(secrets), ttlSeconds);
  }

  private key(): Promise<Uint8Array> {
    const source = this.keySource;
    if (source instanceof Uint8Array) return Promise.resolve(source);
    // A failed read (Key Vault briefly unreachable) is tried again by the next caller.
    this.loadedKey ??= source().catch((error: unknown) => {
      this.loadedKey = undefined;
      throw error;
    });
    return this.loadedKey;
  }

  async issue(session: { userId: string; tenantId?: string; role: SessionRole; sessionId?: string }): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    const expiresAt = issuedAt + this.ttlSeconds;
    const token = await new SignJWT({
      role: session.role,
      ...(session.tenantId ? { tid: session.tenantId } : {}),
      ...(session.sessionId ? { sid: session.sessionId } : {}),
    })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(session.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(await this.key());
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /** The claims of a genuine, unexpired token; UNAUTHENTICATED for anything else. */
  async verify(token: string): Promise<SessionClaims> {
    const key = await this.key();
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
