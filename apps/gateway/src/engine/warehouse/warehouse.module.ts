import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createSecretStore, type Settings } from '@kineo/config';
import { createWarehouse, type Warehouse } from '@kineo/warehouse';
import { SETTINGS } from '../config/settings.module';
import { MetricsService } from '../metrics/metrics.service';
import { PublishedVersions } from './published-versions.service';

/** The reader side of the warehouse: published gold snapshots only, kept open between queries. */
export const WAREHOUSE = Symbol('kineo.warehouse');

export const InjectWarehouse = (): ParameterDecorator => Inject(WAREHOUSE);

@Global()
@Module({
  providers: [
    {
      provide: WAREHOUSE,
      inject: [SETTINGS, { token: MetricsService, optional: true }],
      useFactory: (settings: Settings, metrics?: MetricsService): Promise<Warehouse> => {
        const logger = new Logger('Warehouse');
        return createWarehouse(settings, createSecretStore(settings), 'reader', {
          warn: (message) => logger.warn(message),
          readerEvents: metrics ? (event) => metrics.readerEvent(event) : undefined,
        });
      },
    },
    PublishedVersions,
  ],
  exports: [WAREHOUSE, PublishedVersions],
})
export class WarehouseModule implements OnApplicationShutdown {
  constructor(@InjectWarehouse() private readonly warehouse: Warehouse) {}

  async onApplicationShutdown(): Promise<void> {
    await this.warehouse.close();
  }
}
