import type { PrismaClient } from './client';
import type { Tenant, TenantStatus } from '../generated/prisma';
import { lockSeats, PlanLimitError, seatsTaken } from './plan-limits';
import { canonicalLocale, dbCall, TenantError, TenantService, validateNewTenant, type TenantWithSubscription } from './tenants';

/**
 * What ops do to an existing tenant (suspend, resume, change plan, locale) and what its org admin may
 * change (the fiscal-year start). Each change and its audit event commit together.
 */
export class TenantLifecycleService {
  private readonly tenants: TenantService;

  constructor(private readonly prisma: PrismaClient) {
    this.tenants = new TenantService(prisma);
  }

  /** Sessions of a suspended tenant are refused at once (AuthService.verify reads the status per request). */
  suspend(slug: string, actor: string, reason?: string): Promise<TenantWithSubscription> {
    return this.move(slug, actor, 'active', 'suspended', 'tenant.suspended', reason ? { reason } : {});
  }

  resume(slug: string, actor: string): Promise<TenantWithSubscription> {
    return this.move(slug, actor, 'suspended', 'active', 'tenant.resumed', {});
  }

  /**
   * Ends the live subscription and starts one on the new plan (its limits, no overrides). A plan
   * with fewer seats than the tenant already uses is refused rather than leaving it over its limit.
   * The seats are counted and the subscription written in one transaction holding the tenant's seat
   * lock (`lockSeats`), as every seat check does: an invitation (or an acceptance, a reactivation, a
   * new user) at the same time is counted by this change or counts the new plan's seats, never
   * neither, so one of the two is refused with PLAN_LIMIT when they do not both fit.
   */
  async changePlan(slug: string, planCode: string, actor: string): Promise<TenantWithSubscription> {
    const tenant = await this.tenants.get(slug);
    if (tenant.status === 'offboarded') throw notChangeable(tenant, 'change its plan');
    return dbCall(async () => {
      const plan = await this.prisma.plan.findUnique({ where: { code: planCode } });
      if (!plan) {
        const plans = await this.prisma.plan.findMany({ select: { code: true }, orderBy: { code: 'asc' } });
        throw new TenantError('PLAN_UNKNOWN', `Unknown plan "${planCode}". Plans: ${plans.map((p) => p.code).join(', ')}.`, { planCode });
      }
      await this.prisma.$transaction(async (tx) => {
        await lockSeats(tx, tenant.id);
        // Read under the lock: two plan changes at once end the same subscription, not one each.
        const current = await tx.subscription.findFirst({ where: { tenantId: tenant.id, status: { not: 'cancelled' } }, orderBy: { periodStart: 'desc' } });
        if (current?.planCode === plan.code) {
          throw new TenantError('PLAN_UNCHANGED', `Tenant "${slug}" is already on the ${plan.code} plan.`, { slug, planCode });
        }
        const { used: seats } = await seatsTaken(tx, tenant.id);
        if (seats > plan.seatLimit) {
          throw new PlanLimitError(
            `The ${plan.code} plan allows ${plan.seatLimit} people (members and pending invitations) and "${slug}" has ${seats}; its org admin deactivates people or withdraws invitations before it moves to this plan.`,
            { limit: 'seats', seatLimit: plan.seatLimit, seats },
          );
        }
        const now = new Date();
        await tx.subscription.updateMany({ where: { tenantId: tenant.id, status: { not: 'cancelled' } }, data: { status: 'cancelled', periodEnd: now } });
        await tx.subscription.create({ data: { tenantId: tenant.id, planCode: plan.code, status: 'active', periodStart: now } });
        await tx.auditEvent.create({
          data: { actor, action: 'tenant.plan_changed', tenantId: tenant.id, details: { from: current?.planCode ?? null, to: plan.code } },
        });
      });
      return this.tenants.get(slug);
    });
  }

  /**
   * Takes effect at the next build: the build stages read the month from the tenant each time. Once
   * data is published, a new month makes that build reset the kept fiscal-year history (see
   * silver.history_resets), so the change is refused with CONFIRMATION_REQUIRED unless the caller
   * confirms it: the gateway and the CLI both come here, so neither can change it silently.
   * `expectedFrom` is the month the caller confirmed a change from: when someone changed it since,
   * the change is refused (CHANGED_MEANWHILE) rather than applied to a month nobody confirmed it for.
   */
  async updateFiscalYearStart(
    tenantId: string,
    month: number,
    actor: string,
    options: { confirmHistoryReset?: boolean; expectedFrom?: number } = {},
  ): Promise<FiscalYearStartChange> {
    validateNewTenant({ slug: 'fiscal', name: 'fiscal', fiscalYearStartMonth: month });
    return dbCall(() =>
      this.prisma.$transaction(async (tx) => {
        // Locked until the change commits: a build publishing its first version in between would
        // otherwise let an unconfirmed change through to a tenant that now has history to reset.
        await tx.$queryRaw`select 1 from tenant where id = ${tenantId}::uuid for update`;
        const before = await tx.tenant.findUniqueOrThrow({ where: { id: tenantId } });
        const from = before.fiscalYearStartMonth;
        if (before.status === 'offboarded') throw notChangeable(before, 'change its fiscal-year start');
        if (options.expectedFrom !== undefined && options.expectedFrom !== from) {
          throw new TenantError(
            'CHANGED_MEANWHILE',
            `The fiscal year start was changed to ${monthName(from)} since this page loaded (by someone else, or in another tab); nothing was changed. Review it and confirm again.`,
            { slug: before.slug, expectedFrom: options.expectedFrom, from, to: month },
          );
        }
        if (from === month) return { tenant: before, from, historyReset: false };
        const historyReset = before.dataVersion > 0;
        if (historyReset && options.confirmHistoryReset !== true) {
          throw new TenantError(
            'CONFIRMATION_REQUIRED',
            `${historyResetWarning(before.slug, from, month)} Send confirmHistoryReset: true to change it.`,
            { slug: before.slug, from, to: month },
          );
        }
        const tenant = await tx.tenant.update({ where: { id: tenantId }, data: { fiscalYearStartMonth: month } });
        await tx.auditEvent.create({
          data: { actor, action: 'tenant.fiscal_year_start_changed', tenantId, details: { from, to: month, historyResetConfirmed: historyReset } },
        });
        return { tenant, from, historyReset };
      }),
    );
  }

  /** The locale the portal formats this tenant's numbers and dates in; audited with the previous one. */
  async setLocale(slug: string, locale: string, actor: string): Promise<TenantWithSubscription> {
    const canonical = canonicalLocale(locale);
    const tenant = await this.tenants.get(slug);
    if (tenant.status === 'offboarded') {
      throw new TenantError('TENANT_STATUS_CONFLICT', `Tenant "${slug}" is offboarded; its locale can no longer change.`, { slug, status: tenant.status });
    }
    await dbCall(() =>
      this.prisma.$transaction([
        this.prisma.tenant.update({ where: { id: tenant.id }, data: { locale: canonical } }),
        this.prisma.auditEvent.create({ data: { actor, action: 'tenant.locale_changed', tenantId: tenant.id, details: { from: tenant.locale, to: canonical } } }),
      ]),
    );
    return this.tenants.get(slug);
  }

  /**
   * Moves the tenant from `from` to `to` and audits it, once: a repeat (a double-click, two ops at
   * once) that finds the tenant already `to` answers it as it is and writes nothing; from any other
   * status the move is refused (TENANT_STATUS_CONFLICT).
   */
  private async move(
    slug: string,
    actor: string,
    from: TenantStatus,
    to: TenantStatus,
    action: string,
    details: Record<string, string>,
  ): Promise<TenantWithSubscription> {
    const tenant = await this.tenants.get(slug);
    if (tenant.status === to) return tenant;
    if (tenant.status !== from) throw moveRefused(slug, tenant.status, from, to);
    const moved = await dbCall(() =>
      this.prisma.$transaction(async (tx) => {
        // The status in the where clause makes two concurrent requests resolve to one change, and
        // only the request that made it writes the audit event.
        // A resumed tenant is no longer being offboarded: its lost offboarding must not be queued again.
        const changed = await tx.tenant.updateMany({ where: { id: tenant.id, status: from }, data: { status: to, ...(to === 'active' ? { offboardRequestedAt: null } : {}) } });
        if (changed.count === 0) return false;
        await tx.auditEvent.create({ data: { actor, action, tenantId: tenant.id, details } });
        return true;
      }),
    );
    const now = await this.tenants.get(slug);
    // Another request moved it first (to `to`: the same answer), or elsewhere in between.
    if (!moved && now.status !== to) throw moveRefused(slug, now.status, from, to);
    return now;
  }
}

function moveRefused(slug: string, status: TenantStatus, from: TenantStatus, to: TenantStatus): TenantError {
  return new TenantError('TENANT_STATUS_CONFLICT', `Tenant "${slug}" is ${status}; only a ${from} tenant can be made ${to}.`, { slug, status });
}

/** What the fiscal-year start change has done, or nothing when the month was already the one asked for. */
export interface FiscalYearStartChange {
  tenant: Tenant;
  /** The month before; the tenant's month when nothing changed. */
  from: number;
  /** The next build resets the fiscal-year history: the change was made with data published (and confirmed). */
  historyReset: boolean;
}

/**
 * What a new fiscal-year start does to a tenant with published data, said the same way by every
 * path that refuses it unconfirmed (the API, `kineo tenant fiscal-start`); the portal's step says it in its own words.
 */
export function historyResetWarning(slug: string, from: number, to: number): string {
  return (
    `Tenant "${slug}" has published data, and moving its fiscal-year start from ${monthName(from)} to ${monthName(to)} resets its fiscal-year history: ` +
    'the next build renumbers the fiscal years and rebuilds every closed year from completion dates (completions only, without completion or overdue rates), ' +
    'and follows the current year from that build on. The history recorded so far is archived, not deleted.'
  );
}

/** A month's English name, as the API's and the CLI's messages give it. */
export function monthName(month: number): string {
  return new Date(Date.UTC(2000, month - 1, 1)).toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' });
}

function notChangeable(tenant: Tenant, what: string): TenantError {
  return new TenantError('TENANT_STATUS_CONFLICT', `Tenant "${tenant.slug}" is ${tenant.status}; you cannot ${what}.`, {
    slug: tenant.slug,
    status: tenant.status,
  });
}
