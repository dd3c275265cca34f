import { Injectable } from '@nestjs/common';
import {
  FleetService,
  goldRebuildsOf,
  landingRetentionOf,
  TenantActivityService,
  TenantLifecycleService,
  TenantService,
  type FleetEntry,
  type GoldRebuildStatus,
  type PageRequest,
  type PrismaClient,
  type TenantWithSubscription,
} from '@kineo/db';
import { provisionTenant, requestOffboard, requestRollupRefresh, type JobQueues } from '@kineo/jobs';
import type { Settings } from '@kineo/config';
import { InjectSettings } from '../../engine/config/settings.module';
import { InjectPrisma } from '../../engine/database/database.module';
import { InjectJobQueues } from '../../engine/queue/queue.module';
import { actorUserId, mapPage, toAuditEventView, toBuildRunView, type PageView, type RunStatus } from '../onboarding/runs.types';
import type { FleetTenantView, GoldRebuildState, OpsTenantView, RollupRefreshView, RollupStatusView, TenantOperationView, TenantStatus } from './operations.types';
import { RollupStatusService } from './rollup-status.service';
import { TenantStorageService } from './tenant-storage.service';
import { activeOrgAdmins } from '../identity/org-admins.util';

/** The fleet and the tenant operations of Kineo ops, over the same services as `kineo tenant`. */
@Injectable()
export class OperationsService {
  private readonly fleet: FleetService;
  private readonly tenants: TenantService;
  private readonly lifecycle: TenantLifecycleService;
  private readonly activity: TenantActivityService;

  constructor(
    @InjectPrisma() private readonly prisma: PrismaClient,
    @InjectJobQueues() private readonly queues: JobQueues,
    private readonly storage: TenantStorageService,
    private readonly rollups: RollupStatusService,
    @InjectSettings() private readonly settings: Settings,
  ) {
    this.fleet = new FleetService(prisma);
    this.tenants = new TenantService(prisma);
    this.lifecycle = new TenantLifecycleService(prisma);
    this.activity = new TenantActivityService(prisma);
  }

  async list(request: PageRequest & { search?: string | null }): Promise<PageView<FleetTenantView>> {
    const page = await this.fleet.list(request);
    const tenants = page.items.map((e) => e.tenant);
    const [rollups, rebuilds] = await Promise.all([this.rollups.statuses(tenants), goldRebuildsOf(this.prisma, tenants)]);
    return { ...page, items: await Promise.all(page.items.map((e) => this.view(e, rollups.get(e.tenant.id)!, rebuilds.get(e.tenant.id)))) };
  }

  async tenant(slug: string, runs: PageRequest, audit: PageRequest): Promise<OpsTenantView> {
    const tenant = await this.tenants.get(slug);
    const [view, runPage, auditPage, activeAdmins] = await Promise.all([
      this.viewOf(tenant),
      this.activity.runs(tenant.id, runs),
      this.activity.audit(tenant.id, audit),
      activeOrgAdmins(this.prisma, tenant.id),
    ]);
    const emails = await this.emailsOf(auditPage.items.map((e) => actorUserId(e.actor)).filter((id) => id !== null));
    return { ...view, activeAdmins, runs: mapPage(runPage, toBuildRunView), audit: mapPage(auditPage, (e) => toAuditEventView(e, emails)) };
  }

  /** Who did it, in words ops read: the actors' e-mails by user id. */
  private async emailsOf(userIds: string[]): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const users = await this.prisma.user.findMany({ where: { id: { in: [...new Set(userIds)] } }, select: { id: true, email: true } });
    return new Map(users.map((u) => [u.id, u.email]));
  }

  async provision(input: { slug: string; name: string; plan: string; fiscalStartMonth: number; locale: string }, actor: string): Promise<TenantOperationView> {
    const ticket = await provisionTenant(this.prisma, this.queues, {
      slug: input.slug,
      name: input.name,
      planCode: input.plan,
      fiscalYearStartMonth: input.fiscalStartMonth,
      locale: input.locale,
      actor,
    });
    return { tenant: await this.viewOf(ticket.tenant), jobId: ticket.jobId };
  }

  async offboard(slug: string, confirm: string, actor: string): Promise<TenantOperationView> {
    const ticket = await requestOffboard(this.prisma, this.queues, { slug, confirm, actor });
    return { tenant: await this.viewOf(ticket.tenant), jobId: ticket.jobId };
  }

  /** The CLI's refresh-rollups: a queued run of kind rollups, audited with the ops user. */
  async refreshRollups(slug: string, actor: string): Promise<RollupRefreshView> {
    const tenant = await this.tenants.get(slug);
    const ticket = await requestRollupRefresh(this.prisma, this.queues, { tenantId: tenant.id, actor });
    return { tenant: await this.viewOf(tenant), buildRunId: ticket.buildRunId, jobId: ticket.jobId };
  }

  async suspend(slug: string, actor: string, reason?: string): Promise<FleetTenantView> {
    return this.viewOf(await this.lifecycle.suspend(slug, actor, reason));
  }

  async resume(slug: string, actor: string): Promise<FleetTenantView> {
    return this.viewOf(await this.lifecycle.resume(slug, actor));
  }

  async changePlan(slug: string, plan: string, actor: string): Promise<FleetTenantView> {
    return this.viewOf(await this.lifecycle.changePlan(slug, plan, actor));
  }

  async setLocale(slug: string, locale: string, actor: string): Promise<FleetTenantView> {
    return this.viewOf(await this.lifecycle.setLocale(slug, locale, actor));
  }

  private async viewOf(tenant: TenantWithSubscription): Promise<FleetTenantView> {
    const [entry, rollups, rebuilds] = await Promise.all([this.fleet.entry(tenant), this.rollups.statuses([tenant]), goldRebuildsOf(this.prisma, [tenant])]);
    return this.view(entry, rollups.get(tenant.id)!, rebuilds.get(tenant.id));
  }

  private async view(entry: FleetEntry, rollups: RollupStatusView, rebuild: GoldRebuildStatus | undefined): Promise<FleetTenantView> {
    const { tenant } = entry;
    const subscription = tenant.subscriptions.find((s) => s.status !== 'cancelled') ?? null;
    return {
      id: tenant.id,
      slug: tenant.slug,
      name: tenant.name,
      status: tenant.status as TenantStatus,
      namespace: tenant.namespace,
      plan: subscription && {
        code: subscription.planCode,
        name: subscription.plan.name,
        status: subscription.status,
        seatLimit: subscription.seatLimit ?? subscription.plan.seatLimit,
        rowLimit: Number(subscription.rowLimit ?? subscription.plan.rowLimit),
        uploadLimitBytes: Math.min(Number(subscription.plan.uploadLimitBytes), this.settings.UPLOAD_MAX_BYTES),
      },
      fiscalYearStartMonth: tenant.fiscalYearStartMonth,
      locale: tenant.locale,
      dataVersion: tenant.dataVersion,
      lastLoad: entry.lastLoad && { id: entry.lastLoad.id, status: entry.lastLoad.status as RunStatus, at: entry.lastLoad.createdAt },
      lastBuild: entry.lastBuild && toBuildRunView(entry.lastBuild),
      publishedBy: entry.publishedBy && toBuildRunView(entry.publishedBy),
      rows: entry.rows,
      storageBytes: await this.storage.bytes(tenant.namespace),
      landingRetention: landingRetentionOf(tenant, this.settings.LANDING_RETENTION_DAYS),
      rollups,
      goldRebuild: rebuild ? { ...rebuild, state: rebuild.state as GoldRebuildState } : null,
      createdAt: tenant.createdAt,
    };
  }
}
