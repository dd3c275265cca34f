import { AuditLog, dbCall, type PrismaClient } from '@kineo/db';
import { AuthError } from './auth.exception';
import { hashOpaqueToken, newOpaqueToken } from './opaque-token.util';

export const DEFAULT_REFRESH_TTL_SECONDS = 30 * 24 * 3600;

/** How a sign-in began, kept on the session for the audit trail. */
export type SessionMethod = 'password' | 'invitation' | 'oidc';

export interface StartedSession {
  sessionId: string;
  refreshToken: string;
  refreshExpiresAt: Date;
}

/** The session a refresh token belonged to, after it was rotated. */
export interface RefreshedSession extends StartedSession {
  userId: string;
  tenantId: string | null;
}

export const AUDIT_REFRESH_REUSED = 'auth.refresh_reused';

function refreshRefused(): AuthError {
  return new AuthError('UNAUTHENTICATED', 'This refresh token is not valid any more; sign in again.');
}

/**
 * Sign-ins as Postgres rows. An access token names its session (`sid`), so revoking the row ends
 * every access token of that sign-in on its next request; its refresh tokens form one family that
 * rotates on each use, and presenting a rotated one again (a stolen copy racing the owner) revokes
 * the whole session.
 */
export class SessionStore {
  private readonly audit: AuditLog;

  constructor(
    private readonly prisma: PrismaClient,
    readonly refreshTtlSeconds: number = DEFAULT_REFRESH_TTL_SECONDS,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (!Number.isInteger(refreshTtlSeconds) || refreshTtlSeconds < 1) {
      throw new RangeError(`refresh TTL must be a positive number of seconds, got ${refreshTtlSeconds}`);
    }
    this.audit = new AuditLog(prisma);
  }

  private refreshExpiry(): Date {
    return new Date(this.now().getTime() + this.refreshTtlSeconds * 1000);
  }

  async start(userId: string, tenantId: string | null, method: SessionMethod): Promise<StartedSession> {
    const refreshToken = newOpaqueToken();
    const refreshExpiresAt = this.refreshExpiry();
    const session = await dbCall(() =>
      this.prisma.session.create({
        data: { userId, tenantId, method, refreshTokens: { create: { tokenHash: hashOpaqueToken(refreshToken), expiresAt: refreshExpiresAt } } },
      }),
    );
    return { sessionId: session.id, refreshToken, refreshExpiresAt };
  }

  /**
   * The live session a refresh token belongs to, without spending it. A token that was already
   * rotated revokes its session: either its owner or a thief is replaying it, and we cannot tell which.
   */
  async inspect(refreshToken: string): Promise<{ id: string; sessionId: string; userId: string; tenantId: string | null }> {
    const row = await dbCall(() =>
      this.prisma.refreshToken.findUnique({ where: { tokenHash: hashOpaqueToken(refreshToken) }, include: { session: true } }),
    );
    if (!row || row.session.revokedAt) throw refreshRefused();
    if (row.rotatedAt) {
      await this.revoke(row.sessionId, 'refresh_token_reused');
      await this.audit.record({ actor: row.session.userId, action: AUDIT_REFRESH_REUSED, tenantId: row.session.tenantId, details: { sessionId: row.sessionId } });
      throw refreshRefused();
    }
    if (row.expiresAt <= this.now()) throw refreshRefused();
    return { id: row.id, sessionId: row.sessionId, userId: row.session.userId, tenantId: row.session.tenantId };
  }

  /** Swaps a refresh token for a new one of the same session; the old one is spent. */
  async rotate(refreshToken: string): Promise<RefreshedSession> {
    const now = this.now();
    const row = await this.inspect(refreshToken);
    const next = newOpaqueToken();
    const refreshExpiresAt = this.refreshExpiry();
    const rotated = await dbCall(() =>
      this.prisma.$transaction(async (tx) => {
        // Conditional, so two refreshes racing with one token cannot both win.
        const spent = await tx.refreshToken.updateMany({ where: { id: row.id, rotatedAt: null }, data: { rotatedAt: now } });
        if (spent.count !== 1) return false;
        await tx.refreshToken.create({ data: { sessionId: row.sessionId, tokenHash: hashOpaqueToken(next), expiresAt: refreshExpiresAt } });
        await tx.session.update({ where: { id: row.sessionId }, data: { lastRefreshAt: now } });
        return true;
      }),
    );
    if (!rotated) {
      await this.revoke(row.sessionId, 'refresh_token_reused');
      throw refreshRefused();
    }
    return { sessionId: row.sessionId, userId: row.userId, tenantId: row.tenantId, refreshToken: next, refreshExpiresAt };
  }

  /** True while the session has not been revoked. */
  async isLive(sessionId: string, userId: string): Promise<boolean> {
    const session = await dbCall(() => this.prisma.session.findUnique({ where: { id: sessionId }, select: { userId: true, revokedAt: true } }));
    return session !== null && session.userId === userId && session.revokedAt === null;
  }

  /**
   * A user's sign-ins that can still be used: not revoked, with a refresh token neither spent nor
   * expired. `except`: one not to count (the caller's own).
   */
  async countLiveOf(userId: string, options: { except?: string } = {}): Promise<number> {
    const now = this.now();
    return dbCall(() =>
      this.prisma.session.count({
        where: { userId, revokedAt: null, ...(options.except ? { id: { not: options.except } } : {}), refreshTokens: { some: { rotatedAt: null, expiresAt: { gt: now } } } },
      }),
    );
  }

  async revoke(sessionId: string, reason: string): Promise<void> {
    await dbCall(() => this.prisma.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: this.now(), revokedReason: reason } }));
  }

  /** Ends every live sign-in of a user, or only those in one tenant, but for `except` (the caller's own); returns how many. */
  async revokeAllOf(userId: string, reason: string, tenantId?: string, options: { except?: string } = {}): Promise<number> {
    const result = await dbCall(() =>
      this.prisma.session.updateMany({
        where: { userId, revokedAt: null, ...(tenantId ? { tenantId } : {}), ...(options.except ? { id: { not: options.except } } : {}) },
        data: { revokedAt: this.now(), revokedReason: reason },
      }),
    );
    return result.count;
  }
}
