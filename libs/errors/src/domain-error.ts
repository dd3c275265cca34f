/**
 * The base of every error the platform raises on purpose. `code` is stable: clients, the CLI and
 * stored runs decide on it, never on the message. The message says what went wrong and where in
 * words safe to show whoever caused it; internals (hosts, file paths, SQL, an engine's own
 * message) belong in `cause`, which only logs see.
 *
 * It lives in a package with no dependencies so that every lib and app, down to the smallest,
 * can extend it without loading Prisma, a warehouse driver or anything else.
 */
export class DomainError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // Subclasses are named after themselves without a constructor of their own just for that.
    this.name = new.target.name;
  }
}

/** `instanceof DomainError` types the code as `any` (the class is generic); this keeps it a string. */
export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** The stable code of any error: a DomainError's own, otherwise `fallback`. */
export function errorCode(error: unknown, fallback = 'INTERNAL'): string {
  return isDomainError(error) ? error.code : fallback;
}
