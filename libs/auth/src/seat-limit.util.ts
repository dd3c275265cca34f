import { Prisma, seatsTaken, type SeatsTaken } from '@kineo/db';
import { AuthError } from './auth.exception';

type Db = Prisma.TransactionClient;

export interface SeatUsage extends SeatsTaken {
  /** Null when the tenant has no current subscription (nothing to enforce). */
  limit: number | null;
}

export async function seatUsage(db: Db, tenantId: string, now: Date = new Date()): Promise<SeatUsage> {
  const [subscription, taken] = await Promise.all([
    db.subscription.findFirst({
      where: { tenantId, status: { in: ['trialing', 'active', 'past_due'] } },
      include: { plan: true },
      orderBy: { periodStart: 'desc' },
    }),
    seatsTaken(db, tenantId, now),
  ]);
  return { limit: subscription ? (subscription.seatLimit ?? subscription.plan.seatLimit) : null, ...taken };
}

/**
 * Refuses taking `seats` more seats than the plan has. `alreadyCounted` seats of them are in use
 * already (an invitation being accepted held its seat since it was sent).
 */
export async function assertSeats(db: Db, tenantId: string, seats: number, alreadyCounted = 0): Promise<void> {
  // Held to the end of the caller's transaction, so two admins inviting at once cannot both take the last seat.
  await db.$executeRaw`select pg_advisory_xact_lock(hashtext(${`seats:${tenantId}`}))`;
  const { limit, used } = await seatUsage(db, tenantId);
  if (limit !== null && used - alreadyCounted + seats > limit) {
    const free = Math.max(0, limit - (used - alreadyCounted));
    throw new AuthError(
      'PLAN_LIMIT',
      `The plan allows ${limit} people (members and pending invitations); ${used - alreadyCounted} seats are taken, so ${seats} more do not fit (${free} free). Deactivate someone or withdraw an invitation, or ask Kineo for a plan with more seats.`,
      { limit, used: used - alreadyCounted, requested: seats },
    );
  }
}
