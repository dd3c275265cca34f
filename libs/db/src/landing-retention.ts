import type { PrismaClient } from '../generated/prisma';
import { TenantError, TenantService } from './tenants';

/** The longest retention a tenant may be given: ten years, as the setting. */
export const MAX_LANDING_RETENTION_DAYS = 3650;

export interface LandingRetention {
  days: number;
  /** `tenant` when the tenant has its own period, `setting` when LANDING_RETENTION_DAYS applies. */
  source: 'tenant' | 'setting';
}

/** How long a tenant's finished loads keep their landing files. */
export function landingRetentionOf(tenant: { landingRetentionDays: number | null }, settingDays: number): LandingRetention {
  return tenant.landingRetentionDays === null
    ? { days: settingDays, source: 'setting' }
    : { days: tenant.landingRetentionDays, source: 'tenant' };
}

/** Gives a tenant its own retention period (`null`: back to the setting), audited. */
export async function setLandingRetention(prisma: PrismaClient, request: { slug: string; days: number | null; actor: string }): Promise<void> {
  const { days } = request;
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_LANDING_RETENTION_DAYS)) {
    throw new TenantError('TENANT_RETENTION_INVALID', `A landing retention period is a whole number of days from 1 to ${MAX_LANDING_RETENTION_DAYS}, got ${days}.`, {
      days,
    });
  }
  const tenant = await new TenantService(prisma).get(request.slug);
  await prisma.$transaction([
    prisma.tenant.update({ where: { id: tenant.id }, data: { landingRetentionDays: days } }),
    prisma.auditEvent.create({
      data: {
        actor: request.actor,
        action: 'tenant.landing_retention_changed',
        tenantId: tenant.id,
        details: { from: tenant.landingRetentionDays, to: days },
      },
    }),
  ]);
}
