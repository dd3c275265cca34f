import fs from 'node:fs';
import path from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { assertNamespace, localRunDir, RUN_ID, type LandedFile, type LandedRun, type LandingRemoval, type LandingStore } from './landing-store';
import { namespaceDir } from './local-landing.store';

// How often a server-side copy still pending is asked about; within one account it is usually done at once.
const COPY_POLL_MS = 500;

// Large exports go up in parallel blocks; 8 MiB blocks keep a 2 GiB file far below the 50,000-block limit.
const TRANSFER = { blockSize: 8 * 1024 * 1024, concurrency: 4 } as const;

/**
 * The landing area is a blob container, `<namespace>/<run id>/<file>`: the gateway and the worker
 * run where they share no disk (Azure Container Apps), and each keeps only a passing local copy.
 */
export class AzureBlobLandingStore implements LandingStore {
  readonly kind = 'azure-blob';

  constructor(
    readonly container: ContainerClient,
    private readonly dataDir: string,
  ) {}

  localRunDir(namespace: string, ingestionRunId: string): string {
    return localRunDir(this.dataDir, namespace, ingestionRunId);
  }

  async publishRun(namespace: string, ingestionRunId: string, files: LandedFile[]): Promise<void> {
    for (const file of files) {
      await this.container.getBlockBlobClient(runBlob(namespace, ingestionRunId, file.name)).uploadFile(file.path, TRANSFER);
    }
  }

  async releaseLocalCopy(namespace: string, ingestionRunId: string): Promise<void> {
    await fs.promises.rm(this.localRunDir(namespace, ingestionRunId), { recursive: true, force: true });
  }

  async fetchRun(namespace: string, ingestionRunId: string, files: LandedFile[]): Promise<LandedFile[]> {
    const dir = this.localRunDir(namespace, ingestionRunId);
    await fs.promises.mkdir(dir, { recursive: true });
    const fetched: LandedFile[] = [];
    for (const file of files) {
      const blob = this.container.getBlobClient(runBlob(namespace, ingestionRunId, file.name));
      const target = path.join(dir, file.name);
      try {
        await blob.downloadToFile(target);
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) {
          throw new Error(`The file "${file.name}" of load ${ingestionRunId} is not in the landing store (${blob.url}); it may have been removed by the retention sweep.`);
        }
        throw error;
      }
      fetched.push({ name: file.name, path: target });
    }
    return fetched;
  }

  async removeRun(namespace: string, ingestionRunId: string): Promise<void> {
    for await (const blob of this.container.listBlobsFlat({ prefix: `${namespace}/${ingestionRunId}/` })) {
      await this.container.deleteBlob(blob.name, { deleteSnapshots: 'include' }).catch(ignoreMissing);
    }
    await this.releaseLocalCopy(namespace, ingestionRunId);
  }

  async listRuns(namespace: string): Promise<LandedRun[]> {
    const runs = new Map<string, LandedRun>();
    for await (const blob of this.container.listBlobsFlat({ prefix: `${namespace}/` })) {
      const ingestionRunId = blob.name.slice(namespace.length + 1).split('/')[0] ?? '';
      if (!RUN_ID.test(ingestionRunId)) continue;
      const run = runs.get(ingestionRunId) ?? { ingestionRunId, files: 0, bytes: 0, lastModified: 0 };
      run.files += 1;
      run.bytes += blob.properties.contentLength ?? 0;
      run.lastModified = Math.max(run.lastModified, blob.properties.lastModified.getTime());
      runs.set(ingestionRunId, run);
    }
    return [...runs.values()];
  }

  /**
   * Makes the blob `source` (in this container) the run's file `name` by a server-side copy: the
   * bytes stay in the storage account. `sourceEtag` is the version the caller read (and counted),
   * so a blob changed since is refused rather than landed unread.
   */
  async copyIntoRun(source: string, sourceEtag: string, namespace: string, ingestionRunId: string, name: string): Promise<void> {
    const target = this.container.getBlockBlobClient(runBlob(namespace, ingestionRunId, name));
    const poller = await target.beginCopyFromURL(this.container.getBlobClient(source).url, {
      sourceConditions: { ifMatch: sourceEtag },
      intervalInMs: COPY_POLL_MS,
      // The source's metadata is the resumable upload's record; the run's file starts without it.
      metadata: { copiedfrom: source.replace(/[^A-Za-z0-9]/g, '_') },
    });
    if ((await poller.pollUntilDone()).copyStatus === 'success') return;
    const { copyStatus, copyStatusDescription } = await target.getProperties();
    throw new Error(`Copying ${source} into load ${ingestionRunId} as "${name}" ended ${copyStatus ?? 'without a status'}: ${copyStatusDescription ?? 'no reason given'}`);
  }

  /** Deletes one file of a run from the container (a copy taken back), if it is there. */
  async removeRunFile(namespace: string, ingestionRunId: string, name: string): Promise<void> {
    await this.container.deleteBlob(runBlob(namespace, ingestionRunId, name), { deleteSnapshots: 'include' }).catch(ignoreMissing);
  }

  /**
   * Every blob under `<namespace>/`, uploads whose blocks were never committed included. With blob
   * versioning on (terraform/modules/platform), a deleted blob's previous versions are removed by the
   * storage account's lifecycle rule a day later and kept by its soft delete until that expires.
   */
  async removeNamespace(namespace: string): Promise<LandingRemoval> {
    assertNamespace(namespace);
    const removal = { files: 0, bytes: 0 };
    for await (const blob of this.container.listBlobsFlat({ prefix: `${namespace}/`, includeUncommitedBlobs: true, includeSnapshots: true })) {
      if (blob.snapshot) continue;
      await this.container.deleteBlob(blob.name, { deleteSnapshots: 'include' }).catch(ignoreMissing);
      removal.files += 1;
      removal.bytes += blob.properties.contentLength ?? 0;
    }
    await fs.promises.rm(namespaceDir(this.dataDir, namespace), { recursive: true, force: true });
    return removal;
  }
}

/** A load's file in the container; names are already safe base names (the gateway's or the CLI's). */
export function runBlob(namespace: string, ingestionRunId: string, name: string): string {
  return `${namespace}/${ingestionRunId}/${name}`;
}

function ignoreMissing(error: unknown): void {
  if ((error as { statusCode?: number }).statusCode !== 404) throw error;
}
