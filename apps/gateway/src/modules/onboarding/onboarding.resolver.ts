import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { TenantContext } from '@kineo/auth';
import { CurrentTenant, Roles } from '../../engine/auth/auth.decorators';
import { OnboardingService } from './onboarding.service';
import { QuarantinePage, RebuildView, TenantSettingsView, type QuarantinedRowView } from './onboarding.types';
import { QuarantineService } from './quarantine.service';
import { LoadPage, LoadView, type PageView } from './runs.types';

/** The org admin's side of onboarding: loads with their builds, settings and rebuilds. Changes are audited. */
@Resolver()
@Roles('org_admin')
export class OnboardingResolver {
  constructor(
    private readonly onboarding: OnboardingService,
    private readonly quarantineRows: QuarantineService,
  ) {}

  @Query(() => LoadPage, { description: "The organisation's loads, newest first, with each file's counts and the build's stages and checks." })
  loads(
    @Args('first', { type: () => Int, nullable: true, description: 'Page size: 1 to 100, 20 when not given.' }) first: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'The endCursor of the previous page.' }) after: string | null,
    @CurrentTenant() tenant: TenantContext,
  ): Promise<PageView<LoadView>> {
    return this.onboarding.loads(tenant, { first, after });
  }

  @Query(() => LoadView, { description: 'One load of the organisation.' })
  load(@Args('id') id: string, @CurrentTenant() tenant: TenantContext): Promise<LoadView> {
    return this.onboarding.load(tenant, id);
  }

  @Query(() => QuarantinePage, { description: "A load's quarantined rows by file and line; GET /loads/<id>/quarantine.csv downloads them all." })
  quarantine(
    @Args('loadId') loadId: string,
    @Args('file', { type: () => String, nullable: true, description: 'Only this file of the load.' }) file: string | null,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size: 1 to 100, 20 when not given.' }) first: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'The endCursor of the previous page.' }) after: string | null,
    @CurrentTenant() tenant: TenantContext,
  ): Promise<PageView<QuarantinedRowView>> {
    return this.quarantineRows.page(tenant, loadId, file, { first, after });
  }

  @Query(() => TenantSettingsView)
  tenantSettings(@CurrentTenant() tenant: TenantContext): Promise<TenantSettingsView> {
    return this.onboarding.settings(tenant);
  }

  @Mutation(() => TenantSettingsView, {
    description:
      'Sets the month the fiscal year starts; `rebuild` applies it to the published data. Once data is published, the next build then rebuilds the fiscal-year history from completion dates (the previous history is archived), so a new month is refused with CONFIRMATION_REQUIRED unless `confirmHistoryReset` is true. Sending the current month changes nothing. With `fromMonth`, a start that is no longer that month (changed by someone else meanwhile) is refused with CHANGED_MEANWHILE and nothing changes.',
  })
  updateFiscalYearStart(
    @Args('month', { type: () => Int }) month: number,
    @Args('confirmHistoryReset', {
      type: () => Boolean,
      defaultValue: false,
      description: 'Accept that the next build resets the fiscal-year history kept under the current month; needed once data is published.',
    })
    confirmHistoryReset: boolean,
    @CurrentTenant() tenant: TenantContext,
    @Args('fromMonth', {
      type: () => Int,
      nullable: true,
      description: 'The start month the change is confirmed from, as the caller last read it; the portal always sends it. Without it, the change applies to whatever the month is.',
    })
    fromMonth?: number | null,
  ): Promise<TenantSettingsView> {
    return this.onboarding.updateFiscalYearStart(tenant, month, { confirmHistoryReset, expectedFrom: fromMonth ?? undefined });
  }

  @Mutation(() => RebuildView, {
    description:
      "Rebuilds silver, gold and the snapshots from the loaded data with the current settings, and publishes. While a rebuild or a load's build of the organisation is queued, or running with the fiscal-year start as it is now, queues nothing and answers with that run (`alreadyUnderWay`), so requests at once queue one rebuild. While one that started before the fiscal year was changed runs, queues a rebuild to run after it (`follows` names it), and a request while that rebuild waits is answered with it.",
  })
  rebuild(@CurrentTenant() tenant: TenantContext): Promise<RebuildView> {
    return this.onboarding.rebuild(tenant);
  }
}
