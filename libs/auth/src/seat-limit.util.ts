import { lockSeats, Prisma, seatsTaken, type SeatsTaken } from '@kineo/db';
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
 * What the seats are wanted for, which decides whom the refusal speaks to: the admin who invites or
 * lets someone back in, or the invitee, who can free no seat and is told whom to ask. Invitations
 * count only those that take a new seat (one replacing a pending invitation to the same address
 * does not); an acceptance is checked once its invitation is claimed, so it needs its seat again.
 */
export type SeatNeed = { kind: 'invitations'; count: number } | { kind: 'reactivation' } | { kind: 'acceptance'; organisation: string };

const ADMIN_WAYS_OUT = 'Deactivate someone or withdraw an invitation, or ask Kineo for a plan with more seats.';

const seatsAre = (n: number) => (n === 1 ? '1 seat is' : `${n} seats are`);

/** PLAN_LIMIT when `need` does not fit in the seats left, else undefined. `used`: the seats taken now. */
export function seatLimitError(limit: number | null, used: number, need: SeatNeed): AuthError | undefined {
  const seats = need.kind === 'invitations' ? need.count : 1;
  if (limit === null || seats === 0 || used + seats <= limit) return undefined;
  const free = Math.max(0, limit - used);
  const details = { limit, used, requested: seats };
  if (need.kind === 'acceptance') {
    return new AuthError(
      'PLAN_LIMIT',
      `${need.organisation} has no seat free for you now: every seat of its plan is taken. Ask whoever invited you, an administrator of ${need.organisation}, to free one; this link keeps working until it expires.`,
      details,
    );
  }
  const plan = `The plan allows ${limit} ${limit === 1 ? 'person' : 'people'} (members and pending invitations) and ${used === limit && limit > 1 ? `all ${limit} seats are taken` : `${seatsAre(used)} taken`}`;
  const short =
    need.kind === 'reactivation'
      ? 'letting this member back in needs one'
      : seats === 1
        ? 'this invitation needs one'
        : `${seats} invitations need a seat each and ${free === 0 ? 'none is' : free === 1 ? '1 is' : `${free} are`} free, so none was sent`;
  return new AuthError('PLAN_LIMIT', `${plan}: ${short}. ${ADMIN_WAYS_OUT}`, details);
}

/** Refuses `need` when it does not fit in the plan's seats (see seatLimitError), under the tenant's seat lock (`lockSeats`). */
export async function assertSeats(db: Db, tenantId: string, need: SeatNeed): Promise<void> {
  await lockSeats(db, tenantId);
  const { limit, used } = await seatUsage(db, tenantId);
  const refusal = seatLimitError(limit, used, need);
  if (refusal) throw refusal;
}
