import { AuditLog, dbCall, type PrismaClient } from '@kineo/db';
import { AuthError } from './auth.exception';
import { normalizeEmail } from './email.util';
import type { LinkLog, LinkMailer } from './link-mailer.service';
import { hashOpaqueToken, newOpaqueToken } from './opaque-token.util';
import { hashPassword } from './password.util';
import type { SessionStore } from './session-store.service';

export const PASSWORD_RESET_TTL_SECONDS = 3600;

function resetInvalid(): AuthError {
  return new AuthError('RESET_TOKEN_INVALID', 'This password reset link is not valid: it was already used, replaced by a newer one or has expired. Ask for a new one.');
}

/** "Forgot my password": a one-time link (one hour) by mail or in the log, and the reset it allows. */
export class PasswordResetService {
  private readonly audit: AuditLog;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly sessions: SessionStore,
    private readonly mailer: LinkMailer,
    private readonly portalUrl: string,
    private readonly log: LinkLog,
  ) {
    this.audit = new AuditLog(prisma);
  }

  /**
   * Sends a reset link when the address has an active account. The caller learns nothing either
   * way: the answer is the same, and the mail goes out after the answer so its time does not tell.
   */
  async request(email: string): Promise<void> {
    const address = normalizeEmail(email);
    const user = await dbCall(() => this.prisma.user.findUnique({ where: { email: address } }));
    if (!user || user.status !== 'active') {
      await this.audit.record({ actor: 'anonymous', action: 'auth.password_reset_requested', details: { email: address, sent: false } });
      return;
    }
    const token = newOpaqueToken();
    await dbCall(() =>
      this.prisma.$transaction([
        // Only the newest link works.
        this.prisma.passwordReset.updateMany({ where: { userId: user.id, usedAt: null }, data: { usedAt: new Date() } }),
        this.prisma.passwordReset.create({ data: { userId: user.id, tokenHash: hashOpaqueToken(token), expiresAt: new Date(Date.now() + PASSWORD_RESET_TTL_SECONDS * 1000) } }),
      ]),
    );
    await this.audit.record({ actor: user.id, action: 'auth.password_reset_requested', details: { email: address, sent: true } });
    const link = `${this.portalUrl.replace(/\/+$/, '')}/reset-password?token=${token}`;
    void this.mailer
      .deliver({
        kind: 'password_reset',
        to: user.email,
        subject: 'Reset your Kineo Analytics password',
        text: `Someone (hopefully you) asked to reset the password of ${user.email} on Kineo Analytics.\n\nChoose a new password (the link works once, for an hour):\n${link}\n\nIf it was not you, ignore this e-mail; your password stays as it is.\n`,
        link,
      })
      .catch((error: unknown) => this.log('Could not mail a password reset link', { to: user.email, error: error instanceof Error ? error.message : String(error) }));
  }

  /** Sets the new password and ends every session of the account (whoever else may be signed in). */
  async reset(token: string, newPassword: string): Promise<void> {
    const row = await dbCall(() => this.prisma.passwordReset.findUnique({ where: { tokenHash: hashOpaqueToken(token) }, include: { user: true } }));
    if (!row || row.usedAt || row.expiresAt <= new Date() || row.user.status !== 'active') throw resetInvalid();
    const passwordHash = await hashPassword(newPassword);
    const used = await dbCall(() =>
      this.prisma.$transaction(async (tx) => {
        const claimed = await tx.passwordReset.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: new Date() } });
        if (claimed.count !== 1) return false;
        await tx.user.update({ where: { id: row.userId }, data: { passwordHash } });
        return true;
      }),
    );
    if (!used) throw resetInvalid();
    const ended = await this.sessions.revokeAllOf(row.userId, 'password_reset');
    await this.audit.record({ actor: row.userId, action: 'auth.password_reset', details: { sessionsEnded: ended } });
  }
}
