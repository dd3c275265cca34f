import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import type { LandedFile, LandingStore } from '@kineo/landing';
import { isIdentifier } from '@kineo/tenancy';
import { InjectSettings } from '../../engine/config/settings.module';

/** The LandingStore the settings name (LANDING_STORE), provided by UploadsModule. */
export const LANDING_STORE = Symbol('kineo.landing-store');

/**
 * Where a tenant's resumable uploads grow until they are loaded. The worker reads only run folders
 * it is given and `incoming/` (after a READY marker), so nothing loads a half-sent file from here.
 */
export const RESUMABLE_DIR = '.resumable';

/**
 * A load's files are written to `<KINEO_DATA_DIR>/landing/<namespace>/<ingestionRunId>/`, then handed
 * to the landing store the worker ingests from (with LANDING_STORE=local that folder is the store).
 * The namespace comes from a TenantContext (checked against the identifier pattern) and the run id
 * is made here, so no part of a path comes from the request except a sanitised base name.
 */
@Injectable()
export class LandingRepository {
  private readonly root: string;

  constructor(
    @InjectSettings() settings: Settings,
    @Inject(LANDING_STORE) readonly store: LandingStore,
  ) {
    this.root = path.resolve(settings.KINEO_DATA_DIR, 'landing');
  }

  runDir(namespace: string, ingestionRunId: string): string {
    return this.store.localRunDir(namespace, ingestionRunId);
  }

  /** The run's files, written in its folder, into the landing store: before the load is recorded and enqueued. */
  async publish(namespace: string, ingestionRunId: string, files: LandedFile[]): Promise<void> {
    await this.store.publishRun(namespace, ingestionRunId, files);
  }

  /** Takes a run back out of the landing store, for a load that could not be recorded. */
  async unpublish(namespace: string, ingestionRunId: string): Promise<void> {
    await this.store.removeRun(namespace, ingestionRunId);
  }

  /** This gateway's copy of a recorded load, no longer needed where the store is elsewhere. */
  async releaseLocalCopy(namespace: string, ingestionRunId: string): Promise<void> {
    await this.store.releaseLocalCopy(namespace, ingestionRunId);
  }

  resumableDir(namespace: string): string {
    return path.join(this.root, namespace, RESUMABLE_DIR);
  }

  async createResumableDir(namespace: string): Promise<string> {
    const dir = this.resumableDir(namespace);
    await fs.mkdir(dir, { recursive: true });
    return dir;
  }

  /** The namespaces that have a resumable-upload folder on disk. */
  async namespacesWithResumableUploads(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.root);
    } catch {
      return [];
    }
    const found: string[] = [];
    for (const namespace of entries.filter(isIdentifier)) {
      const stat = await fs.stat(this.resumableDir(namespace)).catch(() => null);
      if (stat?.isDirectory()) found.push(namespace);
    }
    return found;
  }

  async createRunDir(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
  }

  /** Streams to `<dir>/<name>` (which must not exist yet) and returns the bytes written. */
  async write(dir: string, name: string, source: Readable): Promise<number> {
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(source, count, createWriteStream(path.join(dir, name), { flags: 'wx' }));
    return bytes;
  }

  /**
   * Moves a finished file into `<dir>/<name>`; a rename, so a 2 GB file is not copied, and the file
   * appears in the run folder whole or not at all.
   */
  async moveIn(from: string, dir: string, name: string): Promise<string> {
    const target = path.join(dir, name);
    await fs.rename(from, target);
    return target;
  }

  /** Puts a file moved by `moveIn` back where it was. */
  async moveBack(target: string, from: string): Promise<void> {
    await fs.rename(target, from);
  }

  async remove(dir: string): Promise<void> {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
