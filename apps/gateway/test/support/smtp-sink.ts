import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  /** The message with quoted-printable soft breaks and escapes undone. */
  text: string;
}

/** A real SMTP server on loopback that keeps what it receives, for the gateway's nodemailer to talk to. */
export class SmtpSink {
  readonly mails: ReceivedMail[] = [];
  private waiters: Array<(mail: ReceivedMail) => void> = [];
  private server?: SMTPServer;
  url = '';

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      // Plain SMTP on loopback; STARTTLS would need a certificate nodemailer trusts.
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        let raw = '';
        stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
        stream.on('end', () => {
          const text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
          const mail = { to: session.envelope.rcptTo.map((r) => r.address), text };
          this.mails.push(mail);
          const waiter = this.waiters.shift();
          waiter?.(mail);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `smtp://127.0.0.1:${((this.server as unknown as { server: { address(): AddressInfo } }).server.address()).port}`;
  }

  /** The next mail to arrive (or one that arrived and was not taken yet). */
  next(): Promise<ReceivedMail> {
    const taken = this.taken;
    if (this.mails.length > taken) {
      this.taken++;
      return Promise.resolve(this.mails[taken]!);
    }
    return new Promise((resolve) => {
      this.waiters.push((mail) => {
        this.taken++;
        resolve(mail);
      });
    });
  }

  private taken = 0;

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
