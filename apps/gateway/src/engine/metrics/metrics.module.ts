import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/**
 * Imported only when METRICS_ENABLED: otherwise there is no /metrics route at all. Global so that
 * services anywhere count what they do (they take MetricsService as @Optional()).
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
