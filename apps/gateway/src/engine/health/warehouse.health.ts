import { Injectable } from '@nestjs/common';
import type { PrismaClient } from '@kineo/db';
import { WarehouseError, type TenantNamespace, type Warehouse } from '@kineo/warehouse';
import { HealthIndicatorService, type HealthCheckAttempt } from '@nestjs/terminus';
import { InjectPrisma } from '../database/database.module';
import { InjectWarehouse } from '../warehouse/warehouse.module';

const TIMEOUT_MS = 2_000;
/**
 * Until the warehouse has answered once: the first check loads DuckDB's bindings (the gateway starts
 * without them) and opens an engine, which on a busy machine takes longer than a check of a warm one.
 * A gateway just started is not reported down for that.
 */
const FIRST_TIMEOUT_MS = 15_000;

/**
 * Healthy when the warehouse answers the way the gateway reads it: `select 1` on the published gold
 * of the tenant that published last. Before any tenant has published (or while Postgres cannot say
 * which has), the engine itself must answer a ping.
 */
@Injectable()
export class WarehouseHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @InjectPrisma() private readonly prisma: PrismaClient,
    @InjectWarehouse() private readonly warehouse: Warehouse,
  ) {}

  private answered = false;

  check<const Key extends string>(key: Key): HealthCheckAttempt<Key> {
    return this.indicators
      .check(key)
      .attempt(async () => {
        const tenant = await this.publishedTenant();
        try {
          if (!tenant) {
            await this.warehouse.ping();
            this.answered = true;
            return { checked: 'engine' };
          }
          const result = await this.warehouse.queryPublished(tenant, 'select 1 as ok');
          if (Number(result.rows[0]?.ok) !== 1) throw new Error('unexpected answer to select 1');
          this.answered = true;
          return { checked: 'published gold' };
        } catch (error) {
          // /health is public: the kind of failure, not which tenant or where the warehouse lives.
          const code = error instanceof WarehouseError ? error.code : undefined;
          throw new Error(`${tenant ? 'published gold' : 'engine'} did not answer${code ? ` (${code})` : ''}`, { cause: error });
        }
      })
      .withTimeout(this.answered ? TIMEOUT_MS : FIRST_TIMEOUT_MS);
  }

  /** The tenant that published last, if any; none when Postgres cannot say (its own check reports that). */
  private async publishedTenant(): Promise<TenantNamespace | undefined> {
    try {
      const tenant = await this.prisma.tenant.findFirst({
        where: { status: 'active', dataVersion: { gt: 0 } },
        orderBy: { updatedAt: 'desc' },
        select: { id: true, namespace: true },
      });
      return tenant ? { tenantId: tenant.id, namespace: tenant.namespace } : undefined;
    } catch {
      return undefined;
    }
  }
}
