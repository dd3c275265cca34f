import path from 'node:path';

/** A file of a load: its name in the run and where this process reads or wrote it. */
export interface LandedFile {
  name: string;
  path: string;
}

/** A load's landed files as the retention sweep sees them. */
export interface LandedRun {
  ingestionRunId: string;
  files: number;
  bytes: number;
  /** The newest modification among the run's files (ms since the epoch): a run still being filled is young. */
  lastModified: number;
}

/** What offboarding deleted of a tenant in the landing area: every file under its namespace. */
export interface LandingRemoval {
  files: number;
  bytes: number;
}

/** A load's folder is named by its ingestion run's id. */
export const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Where a load's files wait between the process that receives them (gateway, CLI) and the worker
 * that loads them. Every process writes and reads a run's files in its own folder
 * `<KINEO_DATA_DIR>/landing/<namespace>/<run id>/` (DuckDB reads a local CSV fastest); the store
 * decides whether that folder is the landing area itself (`local`: one machine or a shared disk) or
 * a copy of it (`azure-blob`: processes that share no disk).
 */
export interface LandingStore {
  readonly kind: 'local' | 'azure-blob';
  /** This process's folder of a run, where its files are written before `publishRun` and fetched to. */
  localRunDir(namespace: string, ingestionRunId: string): string;
  /** Makes the run's files (in its local folder) readable by every worker; before the load is enqueued. */
  publishRun(namespace: string, ingestionRunId: string, files: LandedFile[]): Promise<void>;
  /** Drops this process's copy once the load is recorded, where the landing area is elsewhere. */
  releaseLocalCopy(namespace: string, ingestionRunId: string): Promise<void>;
  /** The run's files as local paths for the worker to read; `releaseLocalCopy` removes any it fetched. */
  fetchRun(namespace: string, ingestionRunId: string, files: LandedFile[]): Promise<LandedFile[]>;
  /** Deletes the run's files wherever they are: the landing area and this process's folder. */
  removeRun(namespace: string, ingestionRunId: string): Promise<void>;
  /** The tenant's runs that have files in the landing area. */
  listRuns(namespace: string): Promise<LandedRun[]>;
  /**
   * Deletes everything of the tenant in the landing area (runs, unfinished resumable uploads, drops)
   * and this process's folder of it; returns what the landing area held, for offboarding's evidence.
   */
  removeNamespace(namespace: string): Promise<LandingRemoval>;
}

export function localRunDir(dataDir: string, namespace: string, ingestionRunId: string): string {
  return path.resolve(dataDir, 'landing', namespace, ingestionRunId);
}

// A tenant's namespace is one safe path segment; anything else would reach past its own folder or prefix.
const NAMESPACE = /^[A-Za-z0-9_]+$/;

export function assertNamespace(namespace: string): void {
  if (!NAMESPACE.test(namespace)) throw new Error(`"${namespace}" is not a tenant namespace (letters, digits and _ only)`);
}
