import { DomainError } from '@kineo/errors';
import { namespaceForTenantSeq, slugProblem } from '@kineo/tenancy';
import { DatabaseUnavailableError, connectionFailureCode } from './errors';
import { describeDatabase, type PrismaClient } from './client';
import { Prisma } from '../generated/prisma';
import type { Tenant, Subscription, Plan } from '../generated/prisma';

export const TENANT_ERROR_CODES = [
  'TENANT_SLUG_INVALID',
  'TENANT_NAME_INVALID',
  'TENANT_FISCAL_MONTH_INVALID',
  'TENANT_LOCALE_INVALID',
  'PLAN_UNKNOWN',
  'TENANT_NOT_FOUND',
  'TENANT_SLUG_TAKEN',
  'TENANT_STATUS_CONFLICT',
  'PLAN_UNCHANGED',
  'LOAD_NOT_FOUND',
  'CONFIRMATION_MISMATCH',
  'CONFIRMATION_REQUIRED',
  'CHANGED_MEANWHILE',
  'NO_DATA',
  'TENANT_RETENTION_INVALID',
] as const;
export type TenantErrorCode = (typeof TENANT_ERROR_CODES)[number];

/** Creating or finding a tenant failed for a reason the person asking can fix. */
export class TenantError extends DomainError<TenantErrorCode> {}

export interface CreateTenantInput {
  slug: string;
  name: string;
  planCode?: string;
  fiscalYearStartMonth?: number;
  /** BCP 47 tag for the portal's numbers and dates; DEFAULT_LOCALE when not given. */
  locale?: string;
  warehouseEngine?: 'duckdb' | 'databricks';
  /** Who asked, for the audit log: a user id or a system actor such as "cli:root". */
  actor: string;
}

export const DEFAULT_LOCALE = 'en-GB';

/**
 * The canonical form of a locale tag Node's Intl can format with (`en-gb` -> `en-GB`), or
 * TENANT_LOCALE_INVALID: a tag the runtime would silently replace by another locale is refused,
 * so what ops set is what people see.
 */
export function canonicalLocale(tag: string): string {
  const trimmed = tag.trim();
  let canonical: string | undefined;
  try {
    canonical = Intl.getCanonicalLocales(trimmed)[0];
  } catch {
    canonical = undefined;
  }
  if (!canonical || Intl.NumberFormat.supportedLocalesOf(canonical).length === 0) {
    throw new TenantError('TENANT_LOCALE_INVALID', `"${tag}" is not a locale this service can format for; use a BCP 47 tag such as en-GB, en-US, fr-FR or de-DE.`, {
      locale: tag,
    });
  }
  return canonical;
}

/** Checks what can be checked without the database, so a bad request fails before anything else. */
export function validateNewTenant(input: Pick<CreateTenantInput, 'slug' | 'name' | 'fiscalYearStartMonth' | 'locale'>) {
  const slug = input.slug;
  const problem = slugProblem(slug);
  if (problem) {
    throw new TenantError('TENANT_SLUG_INVALID', `Invalid tenant slug "${slug}": it ${problem}.`, { slug });
  }
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) {
    throw new TenantError('TENANT_NAME_INVALID', 'A tenant name must have 1 to 200 characters.', { name });
  }
  const month = input.fiscalYearStartMonth ?? 1;
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new TenantError('TENANT_FISCAL_MONTH_INVALID', `Fiscal-year start month must be 1 to 12, got ${month}.`);
  }
  const locale = canonicalLocale(input.locale ?? DEFAULT_LOCALE);
  return { slug, name, month, locale };
}

export type TenantWithSubscription = Tenant & { subscriptions: (Subscription & { plan: Plan })[] };

export const DEFAULT_PLAN = 'starter';

/** Tenants as ops and the CLI see them: create, list, look up. */
export class TenantService {
  constructor(private readonly prisma: PrismaClient) {}

  async create(input: CreateTenantInput): Promise<TenantWithSubscription> {
    const { slug, name, month, locale } = validateNewTenant(input);
    const planCode = input.planCode ?? DEFAULT_PLAN;

    return dbCall(async () => {
      const plan = await this.prisma.plan.findUnique({ where: { code: planCode } });
      if (!plan) {
        const plans = await this.prisma.plan.findMany({ select: { code: true }, orderBy: { code: 'asc' } });
        throw new TenantError(
          'PLAN_UNKNOWN',
          `Unknown plan "${planCode}". Plans: ${plans.map((p) => p.code).join(', ')}.`,
          { planCode },
        );
      }
      if (await this.prisma.tenant.findUnique({ where: { slug }, select: { id: true } })) {
        throw slugTaken(slug);
      }
      try {
        return await this.prisma.$transaction(async (tx) => {
          const [{ seq }] = await tx.$queryRaw<{ seq: bigint }[]>`
            select nextval(pg_get_serial_sequence('tenant', 'seq')) as seq`;
          const tenant = await tx.tenant.create({
            data: {
              seq: Number(seq),
              slug,
              name,
              namespace: namespaceForTenantSeq(Number(seq)),
              fiscalYearStartMonth: month,
              locale,
              warehouseEngine: input.warehouseEngine ?? 'duckdb',
              subscriptions: { create: { planCode: plan.code, status: 'active', periodStart: new Date() } },
            },
            include: { subscriptions: { include: { plan: true } } },
          });
          await tx.auditEvent.create({
            data: {
              actor: input.actor,
              action: 'tenant.created',
              tenantId: tenant.id,
              details: { slug, name, plan: plan.code, namespace: tenant.namespace, locale },
            },
          });
          return tenant;
        });
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') throw slugTaken(slug);
        throw error;
      }
    });
  }

  list(): Promise<TenantWithSubscription[]> {
    return dbCall(() =>
      this.prisma.tenant.findMany({
        orderBy: { slug: 'asc' },
        include: { subscriptions: { include: { plan: true }, orderBy: { periodStart: 'desc' } } },
      }),
    );
  }

  async get(slug: string): Promise<TenantWithSubscription> {
    const tenant = await dbCall(() =>
      this.prisma.tenant.findUnique({
        where: { slug },
        include: { subscriptions: { include: { plan: true }, orderBy: { periodStart: 'desc' } } },
      }),
    );
    if (!tenant) throw new TenantError('TENANT_NOT_FOUND', `No tenant with slug "${slug}".`, { slug });
    return tenant;
  }

  async markActive(tenantId: string, actor: string): Promise<Tenant> {
    return dbCall(() =>
      this.prisma.$transaction(async (tx) => {
        const tenant = await tx.tenant.update({ where: { id: tenantId }, data: { status: 'active' } });
        await tx.auditEvent.create({
          data: { actor, action: 'tenant.activated', tenantId, details: { namespace: tenant.namespace } },
        });
        return tenant;
      }),
    );
  }
}

function slugTaken(slug: string): TenantError {
  return new TenantError('TENANT_SLUG_TAKEN', `A tenant with slug "${slug}" already exists.`, { slug });
}

/** Runs a database call, turning an unreachable database into a clear DatabaseUnavailableError. */
export async function dbCall<T>(fn: () => Promise<T>, where = describeDatabase()): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    const code = connectionFailureCode(error);
    if (code) throw new DatabaseUnavailableError(where, code);
    throw error;
  }
}
