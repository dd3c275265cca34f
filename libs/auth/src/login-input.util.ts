import { z } from 'zod';
import { AuthError } from './auth.exception';
import { EMAIL_MAX_LENGTH } from './email.util';

/** Control characters (NUL among them) have no place in any sign-in field; Postgres refuses NUL outright. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

const bounded = (max: number) =>
  z
    .string()
    .max(max, { message: `is too long; at most ${max} characters` })
    .refine((v) => !CONTROL.test(v), { message: 'contains a control character' });

/**
 * Bounds on what an anonymous caller may send to sign in: long enough for any real address,
 * passphrase or slug, short enough that no one can make the server hash or store megabytes.
 */
const LOGIN_INPUT = z.object({
  email: bounded(EMAIL_MAX_LENGTH),
  password: bounded(1024),
  tenant: bounded(40)
    .refine((v) => /^[a-z0-9-]*$/.test(v.trim()), { message: 'is not a tenant slug (lower-case letters, digits and hyphens)' })
    .optional(),
});

export interface LoginInput {
  email: string;
  password: string;
  tenant?: string;
}

/** Checks the sign-in arguments, or throws BAD_USER_INPUT naming the first one that is out of bounds. */
export function parseLoginInput(input: LoginInput): LoginInput {
  const parsed = LOGIN_INPUT.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const argument = String(issue.path[0] ?? 'input');
  throw new AuthError('BAD_USER_INPUT', `The argument "${argument}" ${issue.message}.`, { argument });
}
