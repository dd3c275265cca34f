import type { PrismaClient } from './client';
import type { Prisma } from './generated/prisma/client';
import { dbCall } from './tenants';

export interface AuditEntry {
  actor: string;
  action: string;
  tenantId?: string | null;
  details?: Prisma.InputJsonValue;
}

export class AuditLog {
  constructor(private readonly prisma: PrismaClient) {}

  async record(entry: AuditEntry): Promise<void> {
    await dbCall(() =>
      this.prisma.auditEvent.create({
        data: { actor: entry.actor, action: entry.action, tenantId: entry.tenantId ?? null, details: entry.details ?? {} },
      }),
    );
  }

  forTenant(tenantId: string, limit = 50) {
    return dbCall(() =>
      this.prisma.auditEvent.findMany({ where: { tenantId }, orderBy: { createdAt: 'desc' }, take: limit }),
    );
  }
}
