import 'server-only';
import { randomBytes } from 'node:crypto';

/**
 * "Sign in with Microsoft" completes only in the browser that started it: /api/session/microsoft
 * keeps a random nonce in this short-lived httpOnly cookie and gives it to the gateway's start; the
 * gateway seals it into the code it lands the browser with, and /api/session/callback redeems that
 * code with this cookie's nonce: the gateway opens the session only when the two are the same. A
 * link carrying a code of a sign-in started elsewhere (the attacker's own) is refused.
 */
export const MICROSOFT_NONCE_COOKIE = 'kineo_oidc_nonce';

/** The only path that reads it. */
export const MICROSOFT_NONCE_PATH = '/api/session/callback';

/** The same ten minutes the gateway gives a sign-in in progress. */
export const MICROSOFT_NONCE_SECONDS = 600;

/** The refusal when they differ, or the browser has none. */
export const NOT_STARTED_HERE = 'This sign-in was not started in this browser; sign in again.';

export function newMicrosoftNonce(): string {
  return randomBytes(32).toString('base64url');
}

