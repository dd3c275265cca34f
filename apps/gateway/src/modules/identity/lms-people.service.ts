import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuthError, type TenantContext } from '@kineo/auth';
import type { Warehouse } from '@kineo/warehouse';
import { WAREHOUSE } from '../../engine/warehouse/warehouse.module';

type NameRow = { user_id: number | bigint; full_name: string | null };

/** The published tables an admin's ids are checked against: their surrogate key and the LMS id column. */
const PUBLISHED_IDS = {
  dim_user: { key: 'user_key', id: 'user_id' },
  dim_organisation: { key: 'organisation_key', id: 'organisation_id' },
} as const;

/** The LMS people members are linked to, by name, from the tenant's published gold. */
@Injectable()
export class LmsPeopleService {
  private readonly logger = new Logger('LmsPeople');

  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  /**
   * LMS user id -> full name, for those of `ids` in the published dim_user. Empty before the first
   * publish, and when the warehouse cannot answer: a name is a courtesy on the people page, which
   * still works (with the ids) without one.
   */
  async namesOf(tenant: Pick<TenantContext, 'tenantId' | 'namespace'>, ids: readonly number[]): Promise<Map<number, string>> {
    const unique = [...new Set(ids)];
    const names = new Map<number, string>();
    if (unique.length === 0) return names;
    const ref = { tenantId: tenant.tenantId, namespace: tenant.namespace };
    try {
      if ((await this.warehouse.publishedVersion(ref)) === null) return names;
      const { rows } = await this.warehouse.queryPublished<NameRow>(
        ref,
        // dim_user's unknown member (-1) is no one.
        `select user_id, full_name from gold.dim_user where user_key > 0 and user_id in (${unique.map(() => '?').join(', ')})`,
        unique,
      );
      for (const row of rows) if (row.full_name) names.set(Number(row.user_id), row.full_name);
    } catch (error) {
      this.logger.warn({ msg: 'LMS names unavailable; the people page shows ids', tenantId: tenant.tenantId, error: error instanceof Error ? error.message : String(error) });
    }
    return names;
  }

  /**
   * Refuses an LMS user id the published data does not hold (a typo links a manager to no one, whose
   * dashboards would then be empty): USER_INPUT_INVALID naming the id and the version looked in.
   * Before the first publish, or when the warehouse cannot answer, the id is taken as given.
   */
  async assertInPublishedData(tenant: Pick<TenantContext, 'tenantId' | 'namespace'>, lmsUserId: number): Promise<void> {
    const checked = await this.absentFromPublished(tenant, 'dim_user', [lmsUserId]);
    if (checked && checked.absent.length > 0) {
      throw new AuthError(
        'USER_INPUT_INVALID',
        `There is no LMS user ${lmsUserId} in the published data (version ${checked.version}). A manager is linked to their LMS user id, the id on their LMS profile: check it, or load an export that has them first.`,
        { field: 'lmsUserId' },
      );
    }
  }

  /**
   * Refuses LMS organisation ids the published data does not hold (a viewer granted a typo sees
   * nothing of it), naming them, as `assertInPublishedData` does for a manager's LMS user id.
   */
  async assertOrganisationsInPublishedData(tenant: Pick<TenantContext, 'tenantId' | 'namespace'>, organisationIds: readonly number[]): Promise<void> {
    // Ids that cannot be an organisation's are refused by the grant's own check, with its own message.
    const ids = organisationIds.filter((id) => Number.isSafeInteger(id) && id > 0);
    const checked = await this.absentFromPublished(tenant, 'dim_organisation', ids);
    if (checked && checked.absent.length > 0) {
      const [one, ...more] = checked.absent;
      throw new AuthError(
        'USER_INPUT_INVALID',
        `${more.length === 0 ? `There is no LMS organisation ${one}` : `There are no LMS organisations ${checked.absent.join(', ')}`} in the published data (version ${checked.version}). A viewer is granted organisations by their LMS id: check them, or load an export that has them first.`,
        { field: 'organisationIds', organisationIds: checked.absent },
      );
    }
  }

  /**
   * Those of `ids` the published `table` lacks (its unknown member, -1, is no one), in order, and
   * the version looked in; undefined before the first publish, or when the warehouse cannot
   * answer: an unreadable warehouse must not stop an admin managing people.
   */
  private async absentFromPublished(
    tenant: Pick<TenantContext, 'tenantId' | 'namespace'>,
    table: keyof typeof PUBLISHED_IDS,
    ids: readonly number[],
  ): Promise<{ version: number; absent: number[] } | undefined> {
    const unique = [...new Set(ids)].sort((a, b) => a - b);
    if (unique.length === 0) return undefined;
    const ref = { tenantId: tenant.tenantId, namespace: tenant.namespace };
    try {
      const version = await this.warehouse.publishedVersion(ref);
      if (version === null) return undefined;
      const { key, id } = PUBLISHED_IDS[table];
      const { rows } = await this.warehouse.queryPublished<{ id: number | bigint }>(
        ref,
        `select ${id} as id from gold.${table} where ${key} > 0 and ${id} in (${unique.map(() => '?').join(', ')})`,
        unique,
      );
      const found = new Set(rows.map((row) => Number(row.id)));
      return { version, absent: unique.filter((i) => !found.has(i)) };
    } catch (error) {
      this.logger.warn({ msg: 'LMS ids unchecked: the published data is unreadable', tenantId: tenant.tenantId, table, error: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  /** Each of `people` with `lmsUserName`: its LMS user's name, or null (see namesOf). */
  async withNames<T extends { lmsUserId: number | null }>(
    tenant: Pick<TenantContext, 'tenantId' | 'namespace'>,
    people: readonly T[],
  ): Promise<(T & { lmsUserName: string | null })[]> {
    const names = await this.namesOf(tenant, people.flatMap((p) => (p.lmsUserId === null ? [] : [p.lmsUserId])));
    return people.map((p) => ({ ...p, lmsUserName: p.lmsUserId === null ? null : (names.get(p.lmsUserId) ?? null) }));
  }
}
