import { AuditLog, dbCall, type PrismaClient } from '@kineo/db';
import { AuthError } from './auth.exception';
import { normalizeEmail } from './email.util';
import type { AdminActor } from './invitation.service';
import type { LinkDelivery, LinkLog, LinkMailer } from './link-mailer.service';
import type { MemberAccount } from './tenant-users.service';
import { hashOpaqueToken, newOpaqueToken } from './opaque-token.util';
import { hashPassword } from './password.util';
import type { SessionStore } from './session-store.service';

export const PASSWORD_RESET_TTL_SECONDS = 3600;

function resetInvalid(): AuthError {
  return new AuthError('RESET_TOKEN_INVALID', 'This password reset link is not valid: it was already used, replaced by a newer one or has expired. Ask for a new one.');
}

/** A reset an org admin sent for a member: mailed, or its link for the admin to pass on. */
export interface MemberReset {
  email: string;
  delivery: LinkDelivery;
  /** Only when nothing was mailed: the admin passes it on. Null once it went by mail. */
  link: string | null;
  expiresAt: Date;
}

/**
 * "Forgot my password": a one-time link (one hour) by mail or in the log, and the reset it allows;
 * and the same link sent by an org admin for a member who cannot sign in.
 */
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
    const { link } = await this.newLink(user.id);
    await this.audit.record({ actor: user.id, action: 'auth.password_reset_requested', details: { email: address, sent: true } });
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

  /**
   * An org admin sends a member of their organisation a reset link (they forgot their password, or
   * never set one). With a mail server it is mailed to the member, as "forgot my password" does.
   * Without one the link comes back to the admin to pass on, as an invitation's does, but only for
   * an account that reaches nothing beyond this organisation: the link sets the account's password,
   * and an admin of one organisation must not be able to take over someone's access to another, or
   * a Kineo ops account. Audited either way.
   */
  async sendForMember(actor: AdminActor, member: MemberAccount): Promise<MemberReset> {
    const { membershipId, email } = member;
    if (member.deactivated || member.accountStatus !== 'active') {
      throw new AuthError(
        'FORBIDDEN',
        member.deactivated
          ? `${email} is deactivated in this organisation: reactivate them first, then send the reset.`
          : `${email} cannot sign in to Kineo Analytics at all (their account is ${member.accountStatus === 'disabled' ? 'disabled by Kineo' : 'not set up yet'}); a reset would not let them in.`,
        { membershipId },
      );
    }
    if (!this.mailer.mails && member.reachesBeyond) {
      throw new AuthError(
        'FORBIDDEN',
        `No mail server is set up, and ${email} also has access beyond this organisation, so their reset link cannot be shown here: it would let you set the password of that access too. They can use "Forgot your password?" on the sign-in page once mail is set up, or ask Kineo support.`,
        { membershipId },
      );
    }
    const { link, expiresAt } = await this.newLink(member.userId);
    const delivery = await this.mailer.deliver({
      kind: 'password_reset',
      to: email,
      subject: 'Reset your Kineo Analytics password',
      text: `Your administrator sent you a link to choose a new password for ${email} on Kineo Analytics (it works once, for an hour):\n${link}\n\nIf you did not expect it, your password stays as it is until the link is used.\n`,
      link,
    });
    await this.audit.record({
      actor: actor.userId,
      action: 'user.password_reset_sent',
      tenantId: actor.tenantId,
      details: { membershipId, email, delivery, linkShown: delivery !== 'mailed' },
    });
    return { email, delivery, link: delivery === 'mailed' ? null : link, expiresAt };
  }

  /** A new one-time link for the account; only the newest works. */
  private async newLink(userId: string): Promise<{ link: string; expiresAt: Date }> {
    const token = newOpaqueToken();
    const expiresAt = new Date(Date.now() + PASSWORD_RESET_TTL_SECONDS * 1000);
    await dbCall(() =>
      this.prisma.$transaction([
        this.prisma.passwordReset.updateMany({ where: { userId, usedAt: null }, data: { usedAt: new Date() } }),
        this.prisma.passwordReset.create({ data: { userId, tokenHash: hashOpaqueToken(token), expiresAt } }),
      ]),
    );
    return { link: `${this.portalUrl.replace(/\/+$/, '')}/reset-password?token=${token}`, expiresAt };
  }

  /** Sets the new password and ends every session of the account (whoever else may be signed in); returns the account's address. */
  async reset(token: string, newPassword: string): Promise<{ email: string }> {
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
    return { email: row.user.email };
  }
}
