import { dbCall, type PrismaClient } from '@kineo/db';

/**
 * How long a revoked or finished sign-in is kept: longer than any access token can live (the
 * settings allow 30 days), so removing the row never revives or changes the answer for a token.
 */
export const SPENT_SESSION_RETENTION_MS = 31 * 24 * 3600 * 1000;

export interface SweepCounts {
  refreshTokens: number;
  sessions: number;
  invitations: number;
  passwordResets: number;
}

/**
 * Deletes credentials that can no longer be used: expired refresh tokens, sign-ins revoked or
 * without a refresh token for longer than any access token lives, used or expired reset links, and
 * invitations that expired unaccepted (accepted and revoked ones stay as history).
 */
export async function sweepExpiredCredentials(prisma: PrismaClient, now: Date = new Date()): Promise<SweepCounts> {
  const spentBefore = new Date(now.getTime() - SPENT_SESSION_RETENTION_MS);
  return dbCall(() =>
    prisma.$transaction(async (tx) => {
      const refreshTokens = await tx.refreshToken.deleteMany({ where: { expiresAt: { lt: now } } });
      const sessions = await tx.session.deleteMany({
        where: {
          OR: [
            { revokedAt: { lt: spentBefore } },
            { refreshTokens: { none: {} }, createdAt: { lt: spentBefore }, OR: [{ lastRefreshAt: null }, { lastRefreshAt: { lt: spentBefore } }] },
          ],
        },
      });
      const invitations = await tx.invitation.deleteMany({ where: { status: { in: ['pending', 'expired'] }, expiresAt: { lt: now } } });
      const passwordResets = await tx.passwordReset.deleteMany({ where: { OR: [{ expiresAt: { lt: now } }, { usedAt: { not: null } }] } });
      return { refreshTokens: refreshTokens.count, sessions: sessions.count, invitations: invitations.count, passwordResets: passwordResets.count };
    }),
  );
}
