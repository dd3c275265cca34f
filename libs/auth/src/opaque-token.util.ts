import { createHash, randomBytes } from 'node:crypto';

/** A random, URL-safe token (256 bits) for links and refresh tokens; only its hash is stored. */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What is stored and looked up for an opaque token. A plain SHA-256 is enough: the token has 256
 * bits of entropy, so there is nothing to brute-force, and a database leak yields no usable token.
 */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
