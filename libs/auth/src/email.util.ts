import { AuthError } from './auth.exception';

// Deliberately loose: the mailbox is the source of truth; this only catches typing mistakes.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The form an email is stored and looked up in: trimmed, lower-case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function assertEmail(email: string): string {
  const normalized = normalizeEmail(email);
  if (normalized.length > 254 || !EMAIL.test(normalized)) {
    throw new AuthError('EMAIL_INVALID', `"${email}" is not an email address.`);
  }
  return normalized;
}
