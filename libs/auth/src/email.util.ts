import { AuthError } from './auth.exception';

// Deliberately loose: the mailbox is the source of truth; this only catches typing mistakes.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The form an email is stored and looked up in: trimmed, lower-case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The longest address SMTP can carry (RFC 5321's 256-octet path, less its angle brackets). */
export const EMAIL_MAX_LENGTH = 254;

export function assertEmail(email: string): string {
  const normalized = normalizeEmail(email);
  // Said without repeating the address: its length is the caller's choice, and so would be the error's.
  if (normalized.length > EMAIL_MAX_LENGTH) {
    throw new AuthError('EMAIL_INVALID', `The e-mail address is too long; at most ${EMAIL_MAX_LENGTH} characters.`, { argument: 'email' });
  }
  if (!EMAIL.test(normalized)) {
    throw new AuthError('EMAIL_INVALID', `"${email}" is not an email address.`);
  }
  return normalized;
}
