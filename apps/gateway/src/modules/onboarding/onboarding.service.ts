import { Injectable } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import { TenantActivityService, TenantLifecycleService, type PageRequest, type PrismaClient, type Tenant } from '@kineo/db';
import { rebuildRefusal, requestRebuild, type JobQueues } from '@kineo/jobs';
import { InjectPrisma } from '../../engine/database/database.module';
import { InjectJobQueues } from '../../engine/queue/queue.module';
import type { RebuildView, TenantSettingsView } from './onboarding.types';
import { mapPage, toBuildRunView, toLoadView, type LoadView, type PageView } from './runs.types';

/** An org admin's view of their loads and builds, and the settings a build reads. */
@Injectable()
export class OnboardingService {
  private readonly activity: TenantActivityService;
  private readonly lifecycle: TenantLifecycleService;

  constructor(
    @InjectPrisma() private readonly prisma: PrismaClient,
    @InjectJobQueues() private readonly queues: JobQueues,
  ) {
    this.activity = new TenantActivityService(prisma);
    this.lifecycle = new TenantLifecycleService(prisma);
  }

  async loads(tenant: TenantContext, page: PageRequest): Promise<PageView<LoadView>> {
    return mapPage(await this.activity.loads(tenant.tenantId, page), toLoadView);
  }

  async load(tenant: TenantContext, id: string): Promise<LoadView> {
    return toLoadView(await this.activity.load(tenant.tenantId, id));
  }

  async settings(tenant: TenantContext): Promise<TenantSettingsView> {
    return this.settingsOf(await this.prisma.tenant.findUniqueOrThrow({ where: { id: tenant.tenantId } }));
  }

  async updateFiscalYearStart(tenant: TenantContext, month: number, options: { confirmHistoryReset: boolean; expectedFrom?: number }): Promise<TenantSettingsView> {
    const change = await this.lifecycle.updateFiscalYearStart(tenant.tenantId, month, tenant.userId, options);
    return this.settingsOf(change.tenant);
  }

  /** Queues a rebuild, answers with the build under way that builds what is asked, or records one that follows it (`requestRebuild`). */
  async rebuild(tenant: TenantContext): Promise<RebuildView> {
    const ticket = await requestRebuild(this.prisma, this.queues, { tenantId: tenant.tenantId, actor: tenant.userId });
    return {
      buildRunId: ticket.buildRunId,
      asOf: new Date(ticket.asOf),
      alreadyUnderWay: ticket.underWay !== undefined,
      kind: ticket.underWay?.kind ?? 'rebuild',
      queuedAt: new Date(ticket.queuedAt),
      fiscalYearStartMonth: ticket.fiscalYearStartMonth,
      follows: ticket.follows ? { ...ticket.follows, asOf: new Date(ticket.follows.asOf) } : null,
    };
  }

  /** The settings, with the latest rebuild to follow and whether one may be asked for now. */
  private async settingsOf(tenant: Tenant): Promise<TenantSettingsView> {
    const [lastRebuild, refusal] = await Promise.all([
      this.prisma.buildRun.findFirst({ where: { tenantId: tenant.id, kind: 'rebuild' }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      rebuildRefusal(this.prisma, tenant),
    ]);
    return {
      slug: tenant.slug,
      name: tenant.name,
      fiscalYearStartMonth: tenant.fiscalYearStartMonth,
      dataVersion: tenant.dataVersion,
      lastRebuild: lastRebuild && toBuildRunView(lastRebuild),
      rebuildUnavailable: refusal?.message ?? null,
    };
  }
}
