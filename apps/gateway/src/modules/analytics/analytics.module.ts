import { Module } from '@nestjs/common';
import { CacheModule } from '../../engine/cache/cache.module';
import { AnalyticsRateLimitGuard } from './analytics-rate-limit.guard';
import { AnalyticsScopeService } from './analytics-scope.service';
import { AnalyticsResolver } from './analytics.resolver';
import { AnalyticsService } from './analytics.service';
import { OrganisationTreeService } from './organisation-tree.service';
import { ExportsController } from './exports.controller';
import { ExportsInFlightService } from './exports-in-flight.service';
import { ExportsService } from './exports.service';
import { SavedViewsResolver } from './saved-views.resolver';
import { SavedViewsService } from './saved-views.service';

/** Analytics over GraphQL (queries, dashboards, drill lists, the model, Explore's saved views) and file exports of them. */
@Module({
  imports: [CacheModule],
  controllers: [ExportsController],
  providers: [AnalyticsScopeService, AnalyticsService, OrganisationTreeService, AnalyticsResolver, ExportsService, ExportsInFlightService, AnalyticsRateLimitGuard, SavedViewsService, SavedViewsResolver],
  exports: [AnalyticsService],
})
export class AnalyticsModule {}
