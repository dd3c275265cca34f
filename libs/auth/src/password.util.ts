import { Algorithm, hash, verify } from '@node-rs/argon2';
import { AuthError } from './auth.exception';

export const PASSWORD_MIN_LENGTH = 12;
/** argon2 would take more, but a megabyte "password" is an attack on the CPU, not a password. */
export const PASSWORD_MAX_LENGTH = 256;

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. The parameters live in each hash, so
// raising them later leaves old hashes verifiable.
const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** Why a password is unacceptable, or undefined when it is fine. Length counts characters, not bytes. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return `is ${length} characters long; use at least ${PASSWORD_MIN_LENGTH} (a few unrelated words make a good one)`;
  }
  if (length > PASSWORD_MAX_LENGTH) return `is ${length} characters long; use at most ${PASSWORD_MAX_LENGTH}`;
  if (password.trim().length === 0) return 'is only spaces';
  if (new Set(password).size === 1) return 'repeats a single character';
  return undefined;
}

export function assertPasswordPolicy(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new AuthError('PASSWORD_WEAK', `The password is too weak: it ${problem}.`);
}

/** An argon2id hash in PHC format (algorithm, parameters and salt included). */
export async function hashPassword(password: string): Promise<string> {
  assertPasswordPolicy(password);
  return hash(password, ARGON2_OPTIONS);
}

/** True when the password matches; false for a wrong password or a hash that cannot be read. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (password.length > PASSWORD_MAX_LENGTH * 4) return false;
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time a real verification takes, for a sign-in whose email matches no usable account,
 * so the response time does not tell whether the account exists.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hash('kineo-dummy-password-never-matches', ARGON2_OPTIONS);
  await verifyPassword(await dummyHash, password);
  return false;
}
