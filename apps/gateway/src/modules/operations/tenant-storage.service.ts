import fs from 'node:fs';
import path from 'node:path';
import { Injectable } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import { duckdbDirectories } from '@kineo/warehouse';
import { InjectSettings } from '../../engine/config/settings.module';

/** How much disk a tenant's warehouse uses, for the fleet view. */
@Injectable()
export class TenantStorageService {
  private readonly root: string | null;

  constructor(@InjectSettings() settings: Settings) {
    // Databricks storage is billed and measured by the workspace, not visible from here.
    this.root = settings.WAREHOUSE_ENGINE === 'duckdb' ? duckdbDirectories(settings).rootDir : null;
  }

  /** Bytes of every file under `<warehouse>/<namespace>/`; 0 before provisioning, null on Databricks. */
  async bytes(namespace: string): Promise<number | null> {
    if (!this.root) return null;
    return folderBytes(path.join(this.root, namespace));
  }
}

async function folderBytes(folder: string): Promise<number> {
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(folder, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let total = 0;
  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) total += await folderBytes(full);
    else if (entry.isFile()) {
      // A snapshot pruned while we count is simply no longer there.
      total += await fs.promises.stat(full).then((s) => s.size, () => 0);
    }
  }
  return total;
}
