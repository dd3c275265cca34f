import type { Prisma } from '../generated/prisma';
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
  /** The largest file one upload may carry, by the plan alone (callers cap it with UPLOAD_MAX_BYTES). */
  uploadLimitBytes: number;
}

/** The tenant's current limits: the live subscription's overrides, else its plan's. */
export async function planLimitsOf(prisma: Pick<Prisma.TransactionClient, 'subscription'>, tenantId: string): Promise<PlanLimits> {
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
    uploadLimitBytes: Number(subscription.plan.uploadLimitBytes),
  };
}

/** The upload size limit a tenant has now: its plan's, capped by the deployment's ceiling (UPLOAD_MAX_BYTES). */
export interface UploadLimit {
  plan: string;
  limitBytes: number;
}

export async function uploadLimitOf(prisma: PrismaClient, tenantId: string, ceilingBytes: number): Promise<UploadLimit> {
  const limits = await planLimitsOf(prisma, tenantId);
  return { plan: limits.plan, limitBytes: Math.min(limits.uploadLimitBytes, ceilingBytes) };
}

/** The refusal of a file over the upload limit, naming the file, its size and the limit; nothing is kept of that upload. */
export class UploadTooLargeError extends DomainError<'UPLOAD_TOO_LARGE'> {
  constructor(file: string, limit: UploadLimit, sizeBytes?: number) {
    const size = sizeBytes === undefined ? 'is larger than' : `is ${sized(sizeBytes)}, over`;
    super(
      'UPLOAD_TOO_LARGE',
      `The file "${file}" ${size} the upload limit of ${sized(limit.limitBytes)} for the ${limit.plan} plan; ` +
        'nothing from this upload was kept. Split the export or change the plan.',
      { file, ...(sizeBytes === undefined ? {} : { sizeBytes }), limitBytes: limit.limitBytes, plan: limit.plan },
    );
  }
}

/** Refuses the first file over the tenant's upload limit (CLI loads and landing drops, which no HTTP limit saw). */
export function assertFilesWithinUploadLimit(limit: UploadLimit, files: { name: string; bytes: number }[]): void {
  const over = files.find((f) => f.bytes > limit.limitBytes);
  if (over) throw new UploadTooLargeError(over.name, limit, over.bytes);
}

/** "2 KiB (2048 bytes)", or "100 bytes" where the unit already is bytes. */
function sized(bytes: number): string {
  return bytes < 1024 ? formatBytes(bytes) : `${formatBytes(bytes)} (${bytes} bytes)`;
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/** The seats an organisation's people take; one count for every check and screen (invitations, `kineo user create`, plan changes, the Users page). */
export interface SeatsTaken {
  /** Memberships not deactivated (deactivating someone frees their seat). */
  members: number;
  /** Invitations pending and not expired: each holds a seat until it is accepted, withdrawn or expires. */
  invitations: number;
  used: number;
}

export async function seatsTaken(db: Pick<Prisma.TransactionClient, 'membership' | 'invitation'>, tenantId: string, now: Date = new Date()): Promise<SeatsTaken> {
  const [members, invitations] = await Promise.all([
    db.membership.count({ where: { tenantId, deactivatedAt: null } }),
    db.invitation.count({ where: { tenantId, status: 'pending', expiresAt: { gt: now } } }),
  ]);
  return { members, invitations, used: members + invitations };
}

/**
 * Holds the tenant's seats to the end of the caller's transaction: every path that counts seats to
 * change them (an invitation, an acceptance, a reactivation, `kineo user create`, a plan change)
 * takes it before counting, so two of them at once cannot both fit in the last seat, nor a plan
 * change and a new seat both pass against counts the other has made stale. Taken again by the same
 * transaction, it is already held.
 */
export async function lockSeats(db: Pick<Prisma.TransactionClient, '$executeRaw'>, tenantId: string): Promise<void> {
  await db.$executeRaw`select pg_advisory_xact_lock(hashtext(${`seats:${tenantId}`}))`;
}

/**
 * Refuses a new membership when every seat is taken (`seatsTaken`). Call it in the transaction that
 * creates the membership: it takes the tenant's seat lock (`lockSeats`) before counting.
 */
export async function assertSeatAvailable(tx: Prisma.TransactionClient, tenantId: string): Promise<void> {
  await lockSeats(tx, tenantId);
  const limits = await planLimitsOf(tx, tenantId);
  const { used } = await seatsTaken(tx, tenantId);
  if (used >= limits.seatLimit) {
    throw new PlanLimitError(
      `The ${limits.plan} plan allows ${limits.seatLimit} people (members and pending invitations) and this organisation has ${used}; deactivate someone, withdraw an invitation or change the plan first.`,
      { limit: 'seats', seatLimit: limits.seatLimit, seats: used },
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
