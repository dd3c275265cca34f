import { createRequire } from 'node:module';
import type * as Nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';

/** An e-mail carrying a one-time link (an invitation, a password reset). */
export interface LinkMessage {
  kind: 'invitation' | 'password_reset';
  to: string;
  subject: string;
  /** Plain-text body; the link is part of it. */
  text: string;
  link: string;
}

/** Where a link went: mailed, or only written to the log because no mail server is configured. */
export type LinkDelivery = 'mailed' | 'logged';

/** Receives what is logged; the gateway passes its structured logger. */
export type LinkLog = (message: string, fields: Record<string, unknown>) => void;

/**
 * Sends one-time links through SMTP (`SMTP_URL`) with nodemailer. Without a mail server the link
 * is logged instead, so a fresh install (or a demo) can still invite people: the admin gets the
 * link back from `inviteUser` and passes it on.
 */
export class LinkMailer {
  private transport?: Transporter;

  constructor(
    private readonly smtpUrl: string | undefined,
    private readonly from: string,
    private readonly log: LinkLog,
    /**
     * Off in production: a logged reset link lets whoever reads the logs take the account over.
     * The admin still gets an invitation's link back from `inviteUser`; resets need SMTP there.
     */
    private readonly logLinks = true,
  ) {}

  get mails(): boolean {
    return Boolean(this.smtpUrl);
  }

  /** The SMTP transport, made (and nodemailer loaded) with the first mail rather than at start-up. */
  private transportFor(smtpUrl: string): Transporter {
    this.transport ??= (createRequire(__filename)('nodemailer') as typeof Nodemailer).createTransport(smtpUrl);
    return this.transport;
  }

  async deliver(message: LinkMessage): Promise<LinkDelivery> {
    if (!this.smtpUrl && !this.logLinks) {
      this.log(`No SMTP_URL is set, so this ${message.kind.replace('_', ' ')} link was not mailed (and, in production, is not logged).`, {
        kind: message.kind,
        to: message.to,
      });
      return 'logged';
    }
    if (!this.smtpUrl) {
      this.log(`No SMTP_URL is set, so this ${message.kind.replace('_', ' ')} link was not mailed; pass it on: ${message.link}`, {
        kind: message.kind,
        to: message.to,
        link: message.link,
      });
      return 'logged';
    }
    await this.transportFor(this.smtpUrl).sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text });
    return 'mailed';
  }

  close(): void {
    this.transport?.close();
  }
}
