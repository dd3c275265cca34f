import { DomainError } from '@kineo/errors';

export const AUTH_ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'TENANT_SUSPENDED',
  'TENANT_REQUIRED',
  'PASSWORD_WEAK',
  'EMAIL_INVALID',
  'USER_EXISTS',
  'USER_INPUT_INVALID',
  'BAD_USER_INPUT',
  'AUTH_SECRET_INVALID',
  'INVITATION_INVALID',
  'RESET_TOKEN_INVALID',
  /** A signed-in person's current password, asked again to change it, was wrong. */
  'CURRENT_PASSWORD_WRONG',
  'PLAN_LIMIT',
  'NOT_FOUND',
  'OIDC_FAILED',
  'OIDC_NOT_CONFIGURED',
  /** Microsoft sign-in is configured but its identity provider cannot be used (unreachable, or not where it may be). */
  'OIDC_UNAVAILABLE',
] as const;
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

/** Sign-in, session and account failures, each with a message that is safe to show to the caller. */
export class AuthError extends DomainError<AuthErrorCode> {}

/** One message for an unknown email and a wrong password, so a caller cannot probe for accounts. */
export const BAD_CREDENTIALS = 'The email or password is incorrect.';

export function badCredentials(): AuthError {
  return new AuthError('UNAUTHENTICATED', BAD_CREDENTIALS);
}

export function sessionInvalid(): AuthError {
  return new AuthError('UNAUTHENTICATED', 'Your session is not valid or has expired; sign in again.');
}
