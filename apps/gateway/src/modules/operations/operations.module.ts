import { Module } from '@nestjs/common';
import { OperationsResolver } from './operations.resolver';
import { OperationsService } from './operations.service';
import { QueueBoard } from './queue-board.service';
import { RollupStatusService } from './rollup-status.service';
import { TenantStorageService } from './tenant-storage.service';

/** Kineo ops over GraphQL (the fleet, provisioning, suspension, plans, offboarding and rollup refreshes) and the queues screen. */
@Module({ providers: [OperationsResolver, OperationsService, TenantStorageService, RollupStatusService, QueueBoard], exports: [QueueBoard] })
export class OperationsModule {}
