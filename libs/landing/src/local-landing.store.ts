import fs from 'node:fs';
import path from 'node:path';
import { assertNamespace, localRunDir, RUN_ID, type LandedFile, type LandedRun, type LandingRemoval, type LandingStore } from './landing-store';

/** The landing area is `<KINEO_DATA_DIR>/landing` itself: every process sees the same disk. */
export class LocalLandingStore implements LandingStore {
  readonly kind = 'local';

  constructor(private readonly dataDir: string) {}

  localRunDir(namespace: string, ingestionRunId: string): string {
    return localRunDir(this.dataDir, namespace, ingestionRunId);
  }

  async publishRun(): Promise<void> {
    // The run folder is the landing area.
  }

  async releaseLocalCopy(): Promise<void> {
    // The local folder is the landed files themselves; they go with the run (removeRun).
  }

  async fetchRun(_namespace: string, _ingestionRunId: string, files: LandedFile[]): Promise<LandedFile[]> {
    return files;
  }

  async removeRun(namespace: string, ingestionRunId: string): Promise<void> {
    await fs.promises.rm(this.localRunDir(namespace, ingestionRunId), { recursive: true, force: true });
  }

  async listRuns(namespace: string): Promise<LandedRun[]> {
    const landing = path.resolve(this.dataDir, 'landing', namespace);
    let folders: string[];
    try {
      folders = (await fs.promises.readdir(landing)).filter((name) => RUN_ID.test(name));
    } catch {
      return [];
    }
    return folders.map((ingestionRunId) => describeFolder(path.join(landing, ingestionRunId), ingestionRunId));
  }

  async removeNamespace(namespace: string): Promise<LandingRemoval> {
    assertNamespace(namespace);
    const folder = namespaceDir(this.dataDir, namespace);
    if (!fs.existsSync(folder)) return { files: 0, bytes: 0 };
    const { files, bytes } = measureFolder(folder);
    await fs.promises.rm(folder, { recursive: true, force: true });
    return { files, bytes };
  }
}

/** `<dataDir>/landing/<namespace>`: a tenant's runs, resumable uploads and drop folder on this disk. */
export function namespaceDir(dataDir: string, namespace: string): string {
  return path.resolve(dataDir, 'landing', namespace);
}

function describeFolder(dir: string, ingestionRunId: string): LandedRun {
  return { ingestionRunId, ...measureFolder(dir) };
}

function measureFolder(dir: string): Omit<LandedRun, 'ingestionRunId'> {
  let files = 0;
  let bytes = 0;
  let lastModified = fs.statSync(dir).mtimeMs;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const stat = fs.statSync(path.join(entry.parentPath, entry.name));
    lastModified = Math.max(lastModified, stat.mtimeMs);
    if (!entry.isFile()) continue;
    files += 1;
    bytes += stat.size;
  }
  return { files, bytes, lastModified };
}
