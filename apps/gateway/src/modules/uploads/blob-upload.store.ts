import type { Readable } from 'node:stream';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { DataStore, ERRORS, Upload } from '@tus/server';

/** Where a resumable upload's bytes are committed per request: at most this much is held in memory. */
const BLOCK_BYTES = 8 * 1024 * 1024;
// Block ids must all be the same length within a blob; 8 digits outnumber the 50,000 blocks a blob may have.
const BLOCK_ID_DIGITS = 8;
const RECORD_KEY = 'tusupload';

interface UploadRecord {
  size?: number;
  metadata?: Upload['metadata'];
  creation_date?: string;
}

/**
 * tus uploads as block blobs under `<namespace>/.resumable/<id>` in the landing container, so every
 * gateway replica sees an upload the same way: each PATCH stages the bytes it brings as blocks and
 * commits them after the blocks already committed, so the upload's offset is the blob's committed
 * size, and the upload's record (size, metadata, creation) rides in the blob's own metadata. Two
 * PATCHes of one upload never overlap: the Redis locker excludes them across replicas.
 */
export class BlobUploadStore extends DataStore {
  constructor(
    private readonly container: ContainerClient,
    private readonly prefix: string,
    private readonly expiryMs: number,
  ) {
    super();
    this.extensions = ['creation', 'creation-with-upload', 'creation-defer-length', 'termination', 'expiration'];
  }

  override async create(upload: Upload): Promise<Upload> {
    const blob = this.blob(upload.id);
    await blob.commitBlockList([], { metadata: recordOf(upload), conditions: { ifNoneMatch: '*' } });
    upload.storage = { type: 'azure-blob', path: blob.name };
    return upload;
  }

  override async getUpload(id: string): Promise<Upload> {
    const blob = this.blob(id);
    let properties;
    try {
      properties = await blob.getProperties();
    } catch (error) {
      if (isMissing(error)) throw tusError(ERRORS.FILE_NOT_FOUND);
      throw error;
    }
    const record = readRecord(properties.metadata);
    if (!record) throw tusError(ERRORS.FILE_NOT_FOUND);
    return new Upload({
      id,
      size: record.size,
      offset: properties.contentLength ?? 0,
      metadata: record.metadata,
      creation_date: record.creation_date,
      storage: { type: 'azure-blob', path: blob.name },
    });
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const blob = this.blob(id);
    const [properties, list] = await Promise.all([blob.getProperties(), blob.getBlockList('committed')]).catch((error: unknown) => {
      throw isMissing(error) ? tusError(ERRORS.FILE_NOT_FOUND) : error;
    });
    if ((properties.contentLength ?? 0) !== offset) throw tusError(ERRORS.INVALID_OFFSET);
    const blocks = list.committedBlocks?.map((b) => b.name) ?? [];
    const committed = blocks.length;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let received = 0;
    const stage = async () => {
      if (pendingBytes === 0) return;
      const body = Buffer.concat(pending, pendingBytes);
      const blockId = Buffer.from(String(blocks.length).padStart(BLOCK_ID_DIGITS, '0')).toString('base64');
      await blob.stageBlock(blockId, body, body.length);
      blocks.push(blockId);
      received += body.length;
      pending = [];
      pendingBytes = 0;
    };
    let failure: unknown;
    try {
      for await (const chunk of readable) {
        const buffer = chunk as Buffer;
        pending.push(buffer);
        pendingBytes += buffer.length;
        if (pendingBytes >= BLOCK_BYTES) await stage();
      }
    } catch (error) {
      // A request cut short keeps what it brought, as tus expects: the client resumes from there.
      failure = error;
    }
    await stage();
    if (blocks.length > committed) await blob.commitBlockList(blocks, { metadata: properties.metadata });
    if (failure !== undefined) throw tusError(ERRORS.FILE_WRITE_ERROR);
    return offset + received;
  }

  override async declareUploadLength(id: string, size: number): Promise<void> {
    const upload = await this.getUpload(id);
    upload.size = size;
    await this.blob(id).setMetadata(recordOf(upload));
  }

  override async remove(id: string): Promise<void> {
    const { succeeded } = await this.blob(id).deleteIfExists();
    if (!succeeded) throw tusError(ERRORS.FILE_NOT_FOUND);
  }

  /** Removes unfinished uploads older than the expiry, as the file store does; returns how many. */
  override async deleteExpired(): Promise<number> {
    const now = Date.now();
    let removed = 0;
    for await (const item of this.container.listBlobsFlat({ prefix: this.prefix, includeMetadata: true })) {
      const record = readRecord(item.metadata);
      if (!record?.creation_date || record.size === item.properties.contentLength) continue;
      if (now <= Date.parse(record.creation_date) + this.expiryMs) continue;
      const { succeeded } = await this.container.getBlockBlobClient(item.name).deleteIfExists();
      if (succeeded) removed += 1;
    }
    return removed;
  }

  override getExpiration(): number {
    return this.expiryMs;
  }

  private blob(id: string): BlockBlobClient {
    return this.container.getBlockBlobClient(`${this.prefix}${id}`);
  }
}

// Blob metadata values are ASCII header values; the file name a client sends need not be.
function recordOf(upload: Upload): Record<string, string> {
  const record: UploadRecord = { size: upload.size, metadata: upload.metadata, creation_date: upload.creation_date };
  return { [RECORD_KEY]: Buffer.from(JSON.stringify(record)).toString('base64') };
}

function readRecord(metadata: Record<string, string> | undefined): UploadRecord | undefined {
  const value = metadata?.[RECORD_KEY];
  if (!value) return undefined;
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as UploadRecord;
}

/** One of tus's refusals (a status and a body, which the server answers with) as an Error. */
function tusError(refusal: { status_code: number; body: string }): Error {
  return Object.assign(new Error(refusal.body.trim()), refusal);
}

function isMissing(error: unknown): boolean {
  return (error as { statusCode?: number } | null)?.statusCode === 404;
}
