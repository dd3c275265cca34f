import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import { measureCsvStream, type MeasuredFile } from '@kineo/jobs';
import { AzureBlobLandingStore } from '@kineo/landing';
import { FileStore } from '@tus/file-store';
import { Metadata, Server, type DataStore, type Upload } from '@tus/server';
import type { Redis } from 'ioredis';
import { InjectRedis } from '../../engine/redis/redis.module';
import { InjectSettings } from '../../engine/config/settings.module';
import { BlobUploadStore } from './blob-upload.store';
import { LandingRepository, RESUMABLE_DIR } from './landing.repository';
import { RedisUploadLocker, TusRefusal } from './redis-upload.locker';
import { UploadError } from './uploads.exception';

/** Where the tus endpoint is mounted; upload URLs are `<RESUMABLE_PATH>/<upload id>`. */
export const RESUMABLE_PATH = '/uploads/resumable';

const UPLOAD_ID = /^[0-9a-f]{32}$/;
// The names tus-js-client (`filename`) and Uppy (`name`) give the file in Upload-Metadata.
const FILE_NAME_KEYS = ['filename', 'name'] as const;
// Set by the gateway at creation; whatever a client sends under this key is replaced.
const OWNER_KEY = 'kineo-owner';
const SWEEP_EVERY_MS_AT_MOST = 3600_000;

/** An upload in progress (or finished, not yet loaded), as the gateway needs to see it. */
export interface ResumableUpload {
  id: string;
  /** The name the client sent, before it is made safe for the landing folder. */
  fileName: string;
  size: number;
  offset: number;
  ownerId: string;
  /** Where its bytes are: a file (LANDING_STORE=local) or a blob's name in the landing container. */
  path: string;
}

/**
 * The tus protocol (v1.0.0, `@tus/server`) over each tenant's `landing/<namespace>/.resumable/`: files
 * on the local disk, or with LANDING_STORE=azure-blob block blobs under that prefix in the landing
 * container, which every gateway replica sees. One tus server per tenant, each with its own folder
 * or prefix, so no request can reach another tenant's uploads; who may touch which upload is
 * decided by the caller before `handle`.
 */
@Injectable()
export class ResumableUploadsRepository implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ResumableUploads');
  private readonly servers = new Map<string, Server>();
  // One locker for every tenant's server (upload ids are random), so `lock` excludes tus requests
  // too; in Redis, so that replicas behind a load balancer exclude each other's requests as well.
  private readonly locker: RedisUploadLocker;
  // The signed-in user behind a request handed to tus, for the creation hook to record as the owner.
  private readonly callers = new WeakMap<Request, string>();
  // The caller's upload limit (its plan's, under UPLOAD_MAX_BYTES), for tus to announce and enforce.
  private readonly limits = new WeakMap<Request, number>();
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    @InjectSettings() private readonly settings: Settings,
    private readonly landing: LandingRepository,
    @InjectRedis() redis: Redis,
  ) {
    this.locker = new RedisUploadLocker(redis);
  }

  onModuleInit(): void {
    const every = Math.min(this.settings.UPLOAD_RESUMABLE_EXPIRY_SECONDS * 1000, SWEEP_EVERY_MS_AT_MOST);
    this.sweep = setInterval(() => void this.removeExpired(), every);
    this.sweep.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweep);
  }

  /** Answers one tus request against the tenant's uploads; a new upload is recorded as `userId`'s. */
  async handle(namespace: string, userId: string, request: Request, limitBytes: number): Promise<Response> {
    this.callers.set(request, userId);
    this.limits.set(request, limitBytes);
    return (await this.serverFor(namespace)).handleWeb(request);
  }

  /** The upload, unless there is none by that id in the tenant's folder or it has expired. */
  async find(namespace: string, id: string): Promise<ResumableUpload | null> {
    if (!UPLOAD_ID.test(id)) return null;
    let upload: Upload;
    try {
      upload = await (await this.serverFor(namespace)).datastore.getUpload(id);
    } catch (error) {
      if (isGone(error)) return null;
      throw error;
    }
    const created = upload.creation_date ? Date.parse(upload.creation_date) : Date.now();
    if (Date.now() > created + this.expiryMs) return null;
    return {
      id,
      fileName: fileNameIn(upload.metadata) ?? '',
      size: upload.size ?? Number.NaN,
      offset: upload.offset,
      ownerId: upload.metadata?.[OWNER_KEY] ?? '',
      path: upload.storage?.path ?? '',
    };
  }

  /**
   * Holds off tus requests for the upload, on every gateway, until the returned release is called.
   * Refused (a `TusRefusal`, 423 or 503) when a request is writing the upload right now.
   */
  async lock(id: string): Promise<() => Promise<void>> {
    const lock = this.locker.newLock(id);
    try {
      // The holder is asked to let go when tus wants the upload; ours is held for a few renames only.
      await lock.lock(new AbortController().signal, () => undefined);
    } catch (error) {
      const status = error instanceof TusRefusal ? error.status_code : undefined;
      if (status === 423) throw new UploadError('UPLOAD_LOCKED', `Upload ${id} is being written by another request; finish it, then complete again.`, { uploadId: id });
      if (status === 503) throw new UploadError('UPLOAD_LOCKS_UNAVAILABLE', 'Uploads cannot be completed right now (the lock store is not answering); retry shortly.');
      throw error;
    }
    return () => lock.unlock();
  }

  /**
   * Puts a finished upload's bytes in a run as its file `name`; `restore` undoes it. A file is renamed
   * into the run folder (a 2 GB file is not copied, and it appears whole or not at all). A blob is read
   * once, its bytes and rows counted as they stream by, and copied into the run inside the storage
   * account: it never goes back up through the gateway, nor onto its disk, and the file comes back
   * `measured` (already in the landing store) for the load to be checked against the plan.
   */
  async takeInto(
    upload: ResumableUpload,
    run: { namespace: string; ingestionRunId: string },
    name: string,
  ): Promise<{ path: string; measured?: MeasuredFile; restore: () => Promise<void> }> {
    const dir = this.landing.runDir(run.namespace, run.ingestionRunId);
    const blobs = this.blobStore();
    if (!blobs) {
      const moved = await this.landing.moveIn(upload.path, dir, name);
      return { path: moved, restore: () => this.landing.moveBack(moved, upload.path) };
    }
    const read = await blobs.container.getBlobClient(upload.path).download();
    if (!read.readableStreamBody || !read.etag) throw new Error(`The blob of upload ${upload.id} (${upload.path}) came back without a body or an ETag`);
    const measured = await measureCsvStream(name, read.readableStreamBody);
    await blobs.copyIntoRun(upload.path, read.etag, run.namespace, run.ingestionRunId, name);
    return { path: path.join(dir, name), measured, restore: () => blobs.removeRunFile(run.namespace, run.ingestionRunId, name) };
  }

  /** Drops an upload taken into a run: its record (the file has moved), or its blob (copied). */
  async forget(namespace: string, id: string): Promise<void> {
    const store = (await this.serverFor(namespace)).datastore;
    if (store instanceof FileStore) await store.configstore.delete(id);
    else await store.remove(id);
  }

  /** Removes every tenant's uploads older than UPLOAD_RESUMABLE_EXPIRY_SECONDS; returns how many. */
  async removeExpired(): Promise<number> {
    let removed = 0;
    for (const namespace of await this.namespacesWithUploads()) {
      try {
        removed += await (await this.serverFor(namespace)).cleanUpExpiredUploads();
      } catch (error) {
        this.logger.warn(`Could not remove expired uploads of ${namespace}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (removed > 0) this.logger.log(`Removed ${removed} expired resumable upload(s)`);
    return removed;
  }

  private get expiryMs(): number {
    return this.settings.UPLOAD_RESUMABLE_EXPIRY_SECONDS * 1000;
  }

  private blobStore(): AzureBlobLandingStore | undefined {
    return this.landing.store instanceof AzureBlobLandingStore ? this.landing.store : undefined;
  }

  private async namespacesWithUploads(): Promise<string[]> {
    const blobs = this.blobStore();
    if (!blobs) return this.landing.namespacesWithResumableUploads();
    const found: string[] = [];
    for await (const item of blobs.container.listBlobsByHierarchy('/')) {
      if (item.kind === 'prefix') found.push(item.name.replace(/\/$/, ''));
    }
    return found;
  }

  private async datastoreFor(namespace: string): Promise<DataStore> {
    const blobs = this.blobStore();
    if (blobs) return new BlobUploadStore(blobs.container, `${namespace}/${RESUMABLE_DIR}/`, this.expiryMs);
    // FileStore makes its folder too, but throws from a callback (taking the process down) if it cannot.
    const directory = await this.landing.createResumableDir(namespace);
    return new FileStore({ directory, expirationPeriodInMilliseconds: this.expiryMs });
  }

  private async serverFor(namespace: string): Promise<Server> {
    const cached = this.servers.get(namespace);
    if (cached) return cached;
    const datastore = await this.datastoreFor(namespace);
    const server =
      this.servers.get(namespace) ??
      new Server({
        path: RESUMABLE_PATH,
        datastore,
        locker: this.locker,
        namingFunction: () => randomBytes(16).toString('hex'),
        relativeLocation: true,
        maxSize: (request) => Math.min(this.limits.get(request) ?? Number.POSITIVE_INFINITY, this.settings.UPLOAD_MAX_BYTES),
        // The gateway answers no cross-origin requests anywhere; tus would otherwise allow any origin.
        allowedOrigins: () => false,
        onUploadCreate: async (request, upload) => {
          const owner = this.callers.get(request);
          if (!owner) throw new Error('An upload was created outside ResumableUploadsRepository.handle');
          return { metadata: { ...upload.metadata, [OWNER_KEY]: owner } };
        },
      });
    this.servers.set(namespace, server);
    return server;
  }
}

/**
 * The file's name from an Upload-Metadata header: undefined when none is given, null when the
 * header is not valid tus metadata.
 */
export function fileNameInHeader(header: string | null): string | undefined | null {
  if (header === null || header.trim() === '') return undefined;
  try {
    return fileNameIn(Metadata.parse(header));
  } catch {
    return null;
  }
}

function fileNameIn(metadata: Upload['metadata']): string | undefined {
  for (const key of FILE_NAME_KEYS) {
    const value = metadata?.[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function isGone(error: unknown): boolean {
  const status = (error as { status_code?: unknown } | null)?.status_code;
  return status === 404 || status === 410;
}
