import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import { InjectSettings } from '../../engine/config/settings.module';

/**
 * The landing area the worker ingests from: `<KINEO_DATA_DIR>/landing/<namespace>/<ingestionRunId>/`.
 * The namespace comes from a TenantContext (checked against the identifier pattern) and the run id
 * is made here, so no part of a path comes from the request except a sanitised base name.
 */
@Injectable()
export class LandingRepository {
  private readonly root: string;

  constructor(@InjectSettings() settings: Settings) {
    this.root = path.resolve(settings.KINEO_DATA_DIR, 'landing');
  }

  runDir(namespace: string, ingestionRunId: string): string {
    return path.join(this.root, namespace, ingestionRunId);
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

  async remove(dir: string): Promise<void> {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
