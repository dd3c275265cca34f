import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { TenantContext } from '@kineo/auth';
import { CurrentTenant, Roles } from '../../engine/auth/auth.decorators';
import { withoutNulls } from './analytics-input.util';
import { SavedViewsService } from './saved-views.service';
import { SaveViewInput, SavedViewType } from './saved-views.types';

/** Explore's saved views: everyone who can query analytics can keep their own and share them. */
@Resolver()
export class SavedViewsResolver {
  constructor(private readonly views: SavedViewsService) {}

  @Query(() => [SavedViewType], { description: "The caller's own saved views and those shared in the organisation, by name." })
  @Roles('org_admin', 'manager', 'viewer')
  savedViews(@CurrentTenant() tenant: TenantContext): Promise<SavedViewType[]> {
    return this.views.list(tenant);
  }

  @Mutation(() => SavedViewType, { description: "Saves an Explore query under a name (replacing the caller's view of that name). Its answers keep the caller's scope." })
  @Roles('org_admin', 'manager', 'viewer')
  saveView(@CurrentTenant() tenant: TenantContext, @Args('input') input: SaveViewInput): Promise<SavedViewType> {
    return this.views.save(tenant, { ...input, query: withoutNulls(input.query) });
  }

  @Mutation(() => ID, { description: 'Deletes one of the caller\'s saved views; returns its id.' })
  @Roles('org_admin', 'manager', 'viewer')
  deleteView(@CurrentTenant() tenant: TenantContext, @Args('id', { type: () => ID }) id: string): Promise<string> {
    return this.views.delete(tenant, id);
  }
}
