import { Module } from '@nestjs/common';
import { OperationsResolver } from './operations.resolver';
import { OperationsService } from './operations.service';
import { TenantStorageService } from './tenant-storage.service';

/** Kineo ops over GraphQL: the fleet, provisioning, suspension, plans and offboarding. */
@Module({ providers: [OperationsResolver, OperationsService, TenantStorageService] })
export class OperationsModule {}
