import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import type { Tracing } from '@kineo/telemetry';
import type { DestinationStream } from 'pino';
import { AuthModule } from './engine/auth/auth.module';
import { SettingsModule } from './engine/config/settings.module';
import { DatabaseModule } from './engine/database/database.module';
import { ErrorsModule } from './engine/errors/errors.module';
import { GatewayGraphqlModule } from './engine/graphql/graphql.module';
import { HealthModule } from './engine/health/health.module';
import { LoggingModule } from './engine/logging/logging.module';
import { MetricsModule } from './engine/metrics/metrics.module';
import { QueueModule } from './engine/queue/queue.module';
import { RedisModule } from './engine/redis/redis.module';
import { TelemetryModule } from './engine/telemetry/telemetry.module';
import { WarehouseModule } from './engine/warehouse/warehouse.module';
import { AnalyticsModule } from './modules/analytics/analytics.module';
import { OnboardingModule } from './modules/onboarding/onboarding.module';
import { OperationsModule } from './modules/operations/operations.module';
import { IdentityModule } from './modules/identity/identity.module';
import { PlatformModule } from './modules/platform/platform.module';
import { UploadsModule } from './modules/uploads/uploads.module';

export interface GatewayOptions {
  /** Extra modules mounted next to the product modules (tests add resolvers this way). */
  modules?: Array<Type<unknown> | DynamicModule>;
  /**
   * Where JSON log lines go; stdout unless given. nestjs-pino keeps one root logger per process,
   * so the first gateway created in a process decides (and keeps its LOG_LEVEL).
   */
  logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(settings: Settings, options: GatewayOptions = {}, tracing?: Tracing): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SettingsModule.forRoot(settings),
        LoggingModule.forRoot(settings, options.logDestination),
        ...(tracing ? [TelemetryModule.forRoot(tracing, settings.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined)] : []),
        DatabaseModule,
        RedisModule,
        QueueModule,
        WarehouseModule,
        ErrorsModule,
        AuthModule,
        GatewayGraphqlModule,
        HealthModule,
        ...(settings.METRICS_ENABLED ? [MetricsModule] : []),
        PlatformModule,
        IdentityModule,
        UploadsModule,
        AnalyticsModule,
        OnboardingModule,
        OperationsModule,
        ...(options.modules ?? []),
      ],
    };
  }
}
