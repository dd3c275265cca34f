import { Injectable, Logger } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import { uploadLimitOf, type PrismaClient, type UploadLimit } from '@kineo/db';
import type { Settings } from '@kineo/config';
import { requestLoad, type JobQueues, type MeasuredFile } from '@kineo/jobs';
import type { Redis } from 'ioredis';
import { InjectSettings } from '../../engine/config/settings.module';
import { InjectPrisma } from '../../engine/database/database.module';
import { InjectJobQueues } from '../../engine/queue/queue.module';
import { InjectRedis } from '../../engine/redis/redis.module';
import { LandingRepository } from './landing.repository';
import { UploadError } from './uploads.exception';
import type { UploadReceipt } from './uploads.types';

export interface LandedFile {
  name: string;
  path: string;
  bytes: number;
  /** The name as the customer sent it ("users (1).csv"), where it is not `name` ("users__1_.csv"). */
  uploadedAs?: string;
  /** Set for a file already in the landing store (a resumable upload's blob), counted as it was read there. */
  measured?: MeasuredFile;
}

/** What every way of uploading shares: whether the tenant may load now, and starting the load of files already landed. */
@Injectable()
export class LoadRequestService {
  private readonly logger = new Logger('Uploads');

  constructor(
    @InjectPrisma() private readonly prisma: PrismaClient,
    @InjectJobQueues() private readonly queues: JobQueues,
    @InjectRedis() private readonly redis: Redis,
    private readonly landing: LandingRepository,
    @InjectSettings() private readonly settings: Settings,
  ) {}

  /** The largest file the tenant may upload now: its current plan's limit under UPLOAD_MAX_BYTES. */
  uploadLimit(tenant: TenantContext): Promise<UploadLimit> {
    return uploadLimitOf(this.prisma, tenant.tenantId, this.settings.UPLOAD_MAX_BYTES);
  }

  async assertActive(tenant: TenantContext): Promise<void> {
    const { status, name } = await this.prisma.tenant.findUniqueOrThrow({ where: { id: tenant.tenantId }, select: { status: true, name: true } });
    if (status !== 'active') {
      throw new UploadError('TENANT_NOT_READY', `${name} is still being set up; uploads open once it is active.`);
    }
  }

  async assertReady(tenant: TenantContext): Promise<void> {
    await this.assertActive(tenant);
    // BullMQ waits for Redis indefinitely; better to refuse before taking gigabytes of files.
    try {
      await this.redis.ping();
    } catch {
      throw new UploadError('UPLOAD_QUEUE_UNAVAILABLE', 'Uploads are unavailable for a moment; try again shortly.');
    }
  }

  /**
   * Puts the files already in the run folder into the landing store, records the load and starts
   * its flow. `undo` takes the files back out when the load could not be recorded (and the store's
   * copy goes too); once recorded, it is not lost even if the queue is down (the worker starts it
   * later), so nothing is undone, and this gateway's own copy is dropped where the store is elsewhere.
   */
  async start(
    tenant: TenantContext,
    load: { ingestionRunId: string; files: LandedFile[]; asOf: Date | undefined },
    undo: () => Promise<void>,
  ): Promise<UploadReceipt> {
    const { ingestionRunId, files, asOf } = load;
    let ticket;
    try {
      // A measured file is in the store already; only what this gateway wrote goes up.
      await this.landing.publish(tenant.namespace, ingestionRunId, files.filter((f) => !f.measured));
      ticket = await requestLoad(this.prisma, this.queues, {
        tenantId: tenant.tenantId,
        ingestionRunId,
        files: files.map((f) => ({ name: f.name, path: f.path, measured: f.measured, uploadedAs: f.uploadedAs })),
        source: 'upload',
        requestedBy: tenant.userId,
        asOf,
      }, { uploadCeilingBytes: this.settings.UPLOAD_MAX_BYTES });
    } catch (error) {
      await undo();
      await this.landing.unpublish(tenant.namespace, ingestionRunId);
      throw error;
    }
    // The load is recorded and its files are in the store: a copy left behind costs this replica disk, not the load.
    await this.landing.releaseLocalCopy(tenant.namespace, ingestionRunId).catch((error: unknown) => {
      this.logger.warn(`Could not remove this gateway's copy of load ${ingestionRunId}: ${error instanceof Error ? error.message : String(error)}`);
    });
    return { ingestionRunId, buildRunId: ticket.buildRunId, asOf: ticket.asOf, files: files.map(({ name, uploadedAs, bytes }) => ({ name: uploadedAs ?? name, bytes })) };
  }
}
