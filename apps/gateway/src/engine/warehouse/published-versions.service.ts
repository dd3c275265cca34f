import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import type { Settings } from '@kineo/config';
import type { PrismaClient } from '@kineo/db';
import { PUBLISHED_CHANNEL } from '@kineo/jobs';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { SETTINGS } from '../config/settings.module';
import { PRISMA } from '../database/database.module';
import { createRedisClient } from '../redis/redis.module';

/** A published gold version of one tenant and the reference time its figures are computed at. */
export interface PublishedVersion {
  version: number;
  /** ISO-8601 time the build computed overdue, compliance and expiry at. */
  asOf: string;
}

export type PublishedListener = (tenantId: string, published: PublishedVersion) => void;

/** What the worker sends on PUBLISHED_CHANNEL after a publish (apps/worker build-stage.job.ts). */
const publishedEvent = z.object({ tenantId: z.uuid(), version: z.number().int().positive(), asOf: z.string().min(1) });

/**
 * Each tenant's current published version, in memory. A publish event moves a tenant forward for
 * queries that start afterwards; a query holds the version it started with to its end (the worker
 * keeps older snapshots on disk for that). Postgres decides when memory has nothing yet, or when a
 * verified session already carries a newer version than memory (an event missed while Redis was away).
 */
@Injectable()
export class PublishedVersions implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PublishedVersions');
  private readonly known = new Map<string, PublishedVersion>();
  private readonly loading = new Map<string, Promise<PublishedVersion | null>>();
  private readonly listeners: PublishedListener[] = [];
  private subscriber?: Redis;

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
  ) {}

  onModuleInit(): void {
    const subscriber = createRedisClient(this.settings.REDIS_URL, this.logger);
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === PUBLISHED_CHANNEL) this.receive(message);
    });
    // (Re)subscribes on every connection, so a gateway started while Redis was down still hears publishes.
    subscriber.on('ready', () => {
      subscriber.subscribe(PUBLISHED_CHANNEL).catch((error: Error) => this.logger.warn(`Could not subscribe to ${PUBLISHED_CHANNEL}: ${error.message}`));
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const subscriber = this.subscriber;
    if (!subscriber) return;
    if (subscriber.status === 'ready') await subscriber.quit().catch(() => subscriber.disconnect());
    else subscriber.disconnect();
  }

  /** Called with every tenant that moved to a new version (after memory moved). */
  onPublished(listener: PublishedListener): void {
    this.listeners.push(listener);
  }

  /** The version this process knows for the tenant, without asking Postgres (a guess to speculate on). */
  peek(tenantId: string): PublishedVersion | undefined {
    return this.known.get(tenantId);
  }

  /** The version a query of this tenant starts on, or null before the tenant's first publish. */
  async current(tenant: Pick<TenantContext, 'tenantId' | 'dataVersion'>): Promise<PublishedVersion | null> {
    const known = this.known.get(tenant.tenantId);
    if (known && known.version >= tenant.dataVersion) return known;
    let pending = this.loading.get(tenant.tenantId);
    if (!pending) {
      pending = this.load(tenant.tenantId).finally(() => this.loading.delete(tenant.tenantId));
      this.loading.set(tenant.tenantId, pending);
    }
    return pending;
  }

  private async load(tenantId: string): Promise<PublishedVersion | null> {
    const row = await this.prisma.tenant.findUnique({ where: { id: tenantId }, select: { dataVersion: true } });
    if (!row || row.dataVersion <= 0) return null;
    const run = await this.prisma.buildRun.findFirst({
      where: { tenantId, dataVersion: row.dataVersion },
      orderBy: { createdAt: 'desc' },
      select: { asOf: true },
    });
    const published = { version: row.dataVersion, asOf: (run?.asOf ?? new Date(0)).toISOString() };
    this.remember(tenantId, published);
    return this.known.get(tenantId) ?? published;
  }

  private receive(message: string): void {
    let event: z.infer<typeof publishedEvent>;
    try {
      event = publishedEvent.parse(JSON.parse(message));
    } catch (error) {
      this.logger.warn(`Ignored a malformed message on ${PUBLISHED_CHANNEL}: ${(error as Error).message}`);
      return;
    }
    const asOf = new Date(event.asOf);
    if (Number.isNaN(asOf.getTime())) {
      this.logger.warn(`Ignored a message on ${PUBLISHED_CHANNEL} with an unreadable asOf "${event.asOf}"`);
      return;
    }
    if (this.remember(event.tenantId, { version: event.version, asOf: asOf.toISOString() })) {
      const published = this.known.get(event.tenantId)!;
      for (const listener of this.listeners) listener(event.tenantId, published);
    }
  }

  /** Versions only move forward: a late or repeated event never takes a tenant back. */
  private remember(tenantId: string, published: PublishedVersion): boolean {
    const known = this.known.get(tenantId);
    if (known && known.version >= published.version) return false;
    this.known.set(tenantId, published);
    return true;
  }
}
