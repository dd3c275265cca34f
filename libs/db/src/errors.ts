import { DomainError } from '@kineo/errors';

export class DatabaseUnavailableError extends DomainError {
  constructor(where: string, cause: string) {
    super(
      'DATABASE_UNAVAILABLE',
      `Cannot reach the metadata database at ${where} (${cause}). Is the stack running? Start it with "kineo stack up".`,
    );
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', '57P03', '3D000']);

/** Finds a connection failure anywhere in an error's cause chain (pg, the adapter, Prisma). */
export function connectionFailureCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 8; depth++) {
    const e = current as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return e.code;
    if (typeof e.message === 'string') {
      const m = /\b(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EHOSTUNREACH)\b/.exec(e.message);
      if (m) return m[1];
      if (/Can't reach database server|Connection terminated|connection timeout/i.test(e.message)) return 'unreachable';
      // pg says database "x"; Prisma's driver adapter says Database `x`.
      if (/database [`"].*[`"] does not exist/i.test(e.message)) return 'database does not exist';
    }
    if (Array.isArray(e.errors) && e.errors.length > 0) {
      const inner = connectionFailureCode(e.errors[0]);
      if (inner) return inner;
    }
    current = e.cause;
  }
  return undefined;
}
