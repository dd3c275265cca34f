import type { PrismaClient } from './client';
import { DomainError } from '@kineo/errors';
import { dbCall } from './tenants';

/** Who may be added or loaded is bounded by the subscription; PLAN_LIMIT says which bound and by how much. */
export class PlanLimitError extends DomainError {
  constructor(message: string, details: Record<string, unknown>) {
    super('PLAN_LIMIT', message, details);
  }
}

export interface PlanLimits {
  plan: string;
  seatLimit: number;
  rowLimit: bigint;
}

/** The tenant's current limits: the live subscription's overrides, else its plan's. */
export async function planLimitsOf(prisma: PrismaClient, tenantId: string): Promise<PlanLimits> {
  const subscription = await dbCall(() =>
    prisma.subscription.findFirst({
      where: { tenantId, status: { in: ['active', 'trialing', 'past_due'] } },
      orderBy: { periodStart: 'desc' },
      include: { plan: true },
    }),
  );
  if (!subscription) {
    throw new PlanLimitError('This organisation has no live subscription, so nothing can be added or loaded.', { tenantId });
  }
  return {
    plan: subscription.planCode,
    seatLimit: subscription.seatLimit ?? subscription.plan.seatLimit,
    rowLimit: subscription.rowLimit ?? subscription.plan.rowLimit,
  };
}

/**
 * Refuses a new membership when every seat is taken. Call it in the same path that creates the
 * membership (invitations, `kineo user create`); it counts memberships, not pending invitations.
 */
export async function assertSeatAvailable(prisma: PrismaClient, tenantId: string): Promise<void> {
  const limits = await planLimitsOf(prisma, tenantId);
  const seats = await dbCall(() => prisma.membership.count({ where: { tenantId } }));
  if (seats >= limits.seatLimit) {
    throw new PlanLimitError(
      `The ${limits.plan} plan allows ${limits.seatLimit} users and this organisation has ${seats}; remove a user or change the plan first.`,
      { limit: 'seats', seatLimit: limits.seatLimit, seats },
    );
  }
}

/**
 * Refuses a load whose rows exceed the row limit. A load is a full export of the LMS (the latest
 * load wins per key), so the rows it brings are what the tenant would hold.
 */
export async function assertRowsWithinLimit(prisma: PrismaClient, tenantId: string, rows: number | bigint): Promise<void> {
  const limits = await planLimitsOf(prisma, tenantId);
  if (BigInt(rows) > limits.rowLimit) {
    throw new PlanLimitError(
      `This load has ${rows} rows and the ${limits.plan} plan allows ${limits.rowLimit}; nothing was loaded. Load fewer rows or change the plan.`,
      { limit: 'rows', rowLimit: Number(limits.rowLimit), rows: Number(rows) },
    );
  }
}
