import type { PrismaClient } from './client';
import type { Prisma } from '../generated/prisma';
import { dbCall } from './tenants';

export interface AuditEntry {
  actor: string;
  action: string;
  tenantId?: string | null;
  details?: Prisma.InputJsonValue;
}

/**
 * Audit details quote what callers sent (an e-mail, a user agent, a SQL text); a caller must not be
 * able to write megabytes into the log, so each string is cut to this many characters.
 */
export const AUDIT_STRING_LIMIT = 1000;

function truncateStrings(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.length > AUDIT_STRING_LIMIT ? `${value.slice(0, AUDIT_STRING_LIMIT)}… (${value.length} characters)` : value;
  }
  if (Array.isArray(value)) return value.map(truncateStrings);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, truncateStrings(v)]));
  return value;
}

export class AuditLog {
  constructor(private readonly prisma: PrismaClient) {}

  async record(entry: AuditEntry): Promise<void> {
    await dbCall(() =>
      this.prisma.auditEvent.create({
        data: {
          actor: entry.actor.slice(0, AUDIT_STRING_LIMIT),
          action: entry.action,
          tenantId: entry.tenantId ?? null,
          details: truncateStrings(entry.details ?? {}) as Prisma.InputJsonValue,
        },
      }),
    );
  }

  forTenant(tenantId: string, limit = 50) {
    return dbCall(() =>
      this.prisma.auditEvent.findMany({ where: { tenantId }, orderBy: { createdAt: 'desc' }, take: limit }),
    );
  }
}
