import { AuditLog, dbCall, type PrismaClient } from '@kineo/db';
import { AuthError } from './auth.exception';
import type { LoginOrigin } from './auth.service';
import { hashPassword, verifyPassword } from './password.util';
import type { SessionStore } from './session-store.service';
import type { Principal } from './tenant-context.types';

export const AUDIT_PASSWORD_CHANGED = 'auth.password_changed';
export const AUDIT_OTHER_SESSIONS_ENDED = 'auth.other_sessions_ended';

/** What the signed-in person's account page shows of their account. */
export interface AccountSummary {
  /** False for someone who signs in only with their organisation's Microsoft account (or has not set one). */
  hasPassword: boolean;
  /** Their sign-ins other than this one that can still be used (not signed out, not expired). */
  otherSessions: number;
}

/** The signed-in person's own account: their password and their other sign-ins. */
export class AccountService {
  private readonly audit: AuditLog;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly sessions: SessionStore,
  ) {
    this.audit = new AuditLog(prisma);
  }

  async summary(principal: Principal): Promise<AccountSummary> {
    const [user, otherSessions] = await Promise.all([
      dbCall(() => this.prisma.user.findUniqueOrThrow({ where: { id: principal.userId }, select: { passwordHash: true } })),
      this.sessions.countLiveOf(principal.userId, { except: principal.sessionId }),
    ]);
    return { hasPassword: user.passwordHash !== null, otherSessions };
  }

  /**
   * Changes the caller's password once their current one is confirmed (a session left open on a
   * shared computer must not be enough to take the account). Their other sign-ins end, this one
   * goes on, and a reset link not yet used stops working. Refused with CURRENT_PASSWORD_WRONG for a
   * wrong current password (the gateway throttles those as it does sign-ins).
   */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string, origin: LoginOrigin = {}): Promise<{ sessionsEnded: number }> {
    const user = await dbCall(() => this.prisma.user.findUniqueOrThrow({ where: { id: principal.userId }, select: { passwordHash: true } }));
    if (!user.passwordHash) {
      throw new AuthError(
        'FORBIDDEN',
        'Your account has no Kineo Analytics password to change: you sign in with your organisation\'s Microsoft account. To have a password here as well, use "Forgot your password?" on the sign-in page.',
      );
    }
    if (!(await verifyPassword(user.passwordHash, currentPassword))) {
      await this.audit.record({ actor: principal.userId, action: 'auth.password_change_failed', tenantId: principal.context?.tenantId ?? null, details: { reason: 'wrong_current_password', ...origin } });
      throw new AuthError('CURRENT_PASSWORD_WRONG', 'Your current password is not right, so nothing was changed.', { field: 'currentPassword' });
    }
    if (await verifyPassword(user.passwordHash, newPassword)) {
      throw new AuthError('PASSWORD_WEAK', 'The new password is the one you have now: choose another.', { field: 'newPassword' });
    }
    const passwordHash = await hashPassword(newPassword);
    await dbCall(() =>
      this.prisma.$transaction([
        this.prisma.user.update({ where: { id: principal.userId }, data: { passwordHash } }),
        // A reset link asked for before the change would otherwise set the password back.
        this.prisma.passwordReset.updateMany({ where: { userId: principal.userId, usedAt: null }, data: { usedAt: new Date() } }),
      ]),
    );
    const sessionsEnded = await this.sessions.revokeAllOf(principal.userId, 'password_changed', undefined, { except: principal.sessionId });
    await this.audit.record({ actor: principal.userId, action: AUDIT_PASSWORD_CHANGED, tenantId: principal.context?.tenantId ?? null, details: { sessionsEnded, ...origin } });
    return { sessionsEnded };
  }

  /** Ends every other sign-in of the caller (a phone lost, a shared computer left signed in); returns how many. */
  async signOutOtherSessions(principal: Principal, origin: LoginOrigin = {}): Promise<number> {
    const ended = await this.sessions.revokeAllOf(principal.userId, 'signed_out_elsewhere', undefined, { except: principal.sessionId });
    await this.audit.record({ actor: principal.userId, action: AUDIT_OTHER_SESSIONS_ENDED, tenantId: principal.context?.tenantId ?? null, details: { sessionsEnded: ended, ...origin } });
    return ended;
  }
}
