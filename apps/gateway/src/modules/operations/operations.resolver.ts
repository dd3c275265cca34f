import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Principal } from '@kineo/auth';
import { CurrentPrincipal } from '../../engine/auth/auth.decorators';
import { OpsOnly } from '../../engine/auth/ops.guard';
import { localeSchema, parseInput, provisionTenantSchema, slugArgumentSchema, SUSPEND_REASON_MAX, suspendReasonSchema } from './operations.schemas';
import { OperationsService } from './operations.service';
import { FleetPage, FleetTenantView, OpsTenantView, ProvisionTenantInput, RollupRefreshView, TenantOperationView } from './operations.types';

const pageArgs = { type: () => Int, nullable: true, description: 'Page size: 1 to 100, 20 when not given.' } as const;
const cursorArg = { type: () => String, nullable: true, description: 'The endCursor of the previous page.' } as const;

/** Kineo ops: the fleet and the life of each tenant. Every mutation is audited with the ops user as actor. */
@Resolver()
@OpsOnly()
export class OperationsResolver {
  constructor(private readonly operations: OperationsService) {}

  @Query(() => FleetPage, { description: 'Every tenant, by slug, with its plan, status, latest load and build, data version, rollups, rows and storage.' })
  fleet(
    @Args('first', pageArgs) first: number | null,
    @Args('after', cursorArg) after: string | null,
    @Args('search', { type: () => String, nullable: true, description: 'Part of a slug or name, any case.' }) search: string | null,
  ): Promise<FleetPage> {
    return this.operations.list({ first, after, search });
  }

  @Query(() => OpsTenantView, { description: 'One tenant with its runs and audit log, newest first, a page at a time.' })
  tenant(
    @Args('slug') slug: string,
    @Args('runsFirst', pageArgs) runsFirst: number | null,
    @Args('runsAfter', cursorArg) runsAfter: string | null,
    @Args('auditFirst', pageArgs) auditFirst: number | null,
    @Args('auditAfter', cursorArg) auditAfter: string | null,
  ): Promise<OpsTenantView> {
    return this.operations.tenant(parseInput(slugArgumentSchema, slug, 'slug'), { first: runsFirst, after: runsAfter }, { first: auditFirst, after: auditAfter });
  }

  @Mutation(() => TenantOperationView, { description: 'Creates a tenant and queues its provisioning (as `kineo tenant create`); it is active once the worker is done.' })
  provisionTenant(@Args('input') input: ProvisionTenantInput, @CurrentPrincipal() principal: Principal): Promise<TenantOperationView> {
    return this.operations.provision(parseInput(provisionTenantSchema, { ...input }, 'input'), principal.userId);
  }

  @Mutation(() => FleetTenantView, {
    description: "Stops an active tenant: every request of its people is refused (their sessions are kept and work again on resume) and nothing loads.",
  })
  suspendTenant(
    @Args('slug') slug: string,
    @Args('reason', { type: () => String, nullable: true, description: `Kept in the audit log; at most ${SUSPEND_REASON_MAX} characters.` }) reason: string | null,
    @CurrentPrincipal() principal: Principal,
  ): Promise<FleetTenantView> {
    const why = typeof reason !== 'string' ? undefined : parseInput(suspendReasonSchema, reason, 'reason') || undefined;
    return this.operations.suspend(parseInput(slugArgumentSchema, slug, 'slug'), principal.userId, why);
  }

  @Mutation(() => FleetTenantView, { description: 'Makes a suspended tenant active again.' })
  resumeTenant(@Args('slug') slug: string, @CurrentPrincipal() principal: Principal): Promise<FleetTenantView> {
    return this.operations.resume(parseInput(slugArgumentSchema, slug, 'slug'), principal.userId);
  }

  @Mutation(() => TenantOperationView, {
    description: "Queues the removal of a tenant's warehouse data (row counts go to the audit log first), as `kineo tenant offboard`. `confirm` must repeat the slug.",
  })
  offboardTenant(@Args('slug') slug: string, @Args('confirm') confirm: string, @CurrentPrincipal() principal: Principal): Promise<TenantOperationView> {
    return this.operations.offboard(parseInput(slugArgumentSchema, slug, 'slug'), confirm, principal.userId);
  }

  @Mutation(() => RollupRefreshView, {
    description:
      "Queues a refresh of the tenant's stale rollups (as `kineo tenant refresh-rollups`): built on its published version's gold and published as the next version; recorded as a run of kind rollups and audited.",
  })
  refreshRollups(@Args('slug') slug: string, @CurrentPrincipal() principal: Principal): Promise<RollupRefreshView> {
    return this.operations.refreshRollups(parseInput(slugArgumentSchema, slug, 'slug'), principal.userId);
  }

  @Mutation(() => FleetTenantView, { description: 'Moves a tenant to another plan; refused if it has more users than the plan allows.' })
  changePlan(@Args('slug') slug: string, @Args('plan') plan: string, @CurrentPrincipal() principal: Principal): Promise<FleetTenantView> {
    return this.operations.changePlan(parseInput(slugArgumentSchema, slug, 'slug'), plan, principal.userId);
  }

  @Mutation(() => FleetTenantView, { description: "Sets the locale the portal formats a tenant's numbers and dates in (a BCP 47 tag such as en-GB or en-US)." })
  setTenantLocale(@Args('slug') slug: string, @Args('locale') locale: string, @CurrentPrincipal() principal: Principal): Promise<FleetTenantView> {
    return this.operations.setLocale(parseInput(slugArgumentSchema, slug, 'slug'), parseInput(localeSchema, locale, 'locale'), principal.userId);
  }
}
