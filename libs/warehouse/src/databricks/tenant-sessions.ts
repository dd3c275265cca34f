import type { TokenCredential } from '@azure/identity';
import { azureIdentity } from '@kineo/config';
import type { DBSQLClient } from '@databricks/sql';
import type { ConnectionOptions } from '@databricks/sql/dist/contracts/IDBSQLClient';
import type IDBSQLLogger from '@databricks/sql/dist/contracts/IDBSQLLogger';
import type IDBSQLSession from '@databricks/sql/dist/contracts/IDBSQLSession';
import { WarehouseError } from '../errors';
import { databricksSql } from './databricks-sql.loader';
import { AZURE_DATABRICKS_SCOPE, EntraTokenProvider } from './entra-token.provider';
import { SessionPool, type Lease, type PoolLimits } from './session-pool';

export type DatabricksAuth =
  /** A personal access token (local development). */
  | { kind: 'token'; token: string }
  /** Entra ID (production): DefaultAzureCredential unless a credential is given. */
  | { kind: 'entra'; credential?: TokenCredential; scope?: string };

/** Whose sessions a statement runs on: a tenant's (opened inside its catalog and schema) or the admin's. */
export interface Target {
  key: string;
  session?: { initialCatalog: string; initialSchema: string };
}

/**
 * Where a statement gets its session: the tenant's pool (an expired session is replaced and the
 * statement resent), or one session pinned for a `session()` call (state lives on it, so an
 * expired one is an error, never silently replaced).
 */
export interface SessionSource {
  readonly reopenable: boolean;
  acquire(): Promise<Lease<IDBSQLSession>>;
  release(lease: Lease<IDBSQLSession>, discard?: boolean): void;
}

export class PinnedSession implements SessionSource {
  readonly reopenable = false;
  expired = false;
  /** Ran SET or created temporary objects: not fit to go back to the pool. */
  tainted = false;

  constructor(private readonly lease: Lease<IDBSQLSession>) {}

  async acquire(): Promise<Lease<IDBSQLSession>> {
    if (this.expired) throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse session expired; run the work again.');
    return this.lease;
  }

  release(_lease: Lease<IDBSQLSession>, discard = false): void {
    if (discard) this.expired = true;
  }
}

export interface ConnectionSettings {
  host: string;
  path: string;
  port?: number;
  auth: DatabricksAuth;
  customCaCert?: string | Buffer;
  log?: (level: string, message: string) => void;
  /** Sent as each session's STATEMENT_TIMEOUT. */
  statementTimeoutMs: number;
}

const noop = () => undefined;

/**
 * The session pool: one `DBSQLClient` per workspace (connected on first use) and a bounded pool
 * of sessions per target, since a Databricks session carries its tenant's catalog.
 */
export class TenantSessions {
  private readonly pools = new Map<string, SessionPool<IDBSQLSession>>();
  private clientPromise?: Promise<DBSQLClient>;
  private closed = false;

  constructor(
    private readonly connection: ConnectionSettings,
    private readonly limits: PoolLimits,
  ) {}

  /** A pooled target as a source of sessions; a pinned session is its own source. */
  source(target: Target | SessionSource): SessionSource {
    if ('acquire' in target) return target;
    const pool = this.pool(target);
    return { reopenable: true, acquire: () => pool.acquire(), release: (lease, discard) => pool.release(lease, discard) };
  }

  pool(target: Target): SessionPool<IDBSQLSession> {
    if (this.closed) throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse connection is closed.');
    let pool = this.pools.get(target.key);
    if (!pool) {
      pool = new SessionPool(() => this.openSession(target), this.limits);
      this.pools.set(target.key, pool);
    }
    return pool;
  }

  async closePool(key: string): Promise<void> {
    const pool = this.pools.get(key);
    this.pools.delete(key);
    await pool?.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
    const client = await this.clientPromise?.catch(noop);
    await client?.close().catch(noop);
  }

  private client(): Promise<DBSQLClient> {
    if (this.closed) return Promise.reject(new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse connection is closed.'));
    this.clientPromise ??= this.connect().catch((error: unknown) => {
      this.clientPromise = undefined;
      throw error;
    });
    return this.clientPromise;
  }

  private async connect(): Promise<DBSQLClient> {
    const { host, path, port, customCaCert, log } = this.connection;
    const logger: IDBSQLLogger = { log: (level, message) => log?.(level, message) };
    const client = new (databricksSql().DBSQLClient)({ logger });
    const base = {
      host,
      path,
      port,
      customCaCert,
      telemetryEnabled: false,
      preserveBigNumericPrecision: true,
      retryMaxAttempts: 3,
      retryDelayMin: 200,
      retryDelayMax: 2_000,
      retriesTimeout: 30_000,
    };
    const auth = this.connection.auth;
    const connection: ConnectionOptions =
      auth.kind === 'token'
        ? { ...base, token: auth.token }
        : {
            ...base,
            authType: 'token-provider',
            tokenProvider: new EntraTokenProvider(auth.credential ?? new (azureIdentity().DefaultAzureCredential)(), auth.scope ?? AZURE_DATABRICKS_SCOPE),
          };
    await client.connect(connection);
    return client;
  }

  private async openSession(target: Target): Promise<IDBSQLSession> {
    const client = await this.client();
    return client.openSession({
      ...target.session,
      configuration: {
        STATEMENT_TIMEOUT: String(Math.max(1, Math.ceil(this.connection.statementTimeoutMs / 1000))),
        TIMEZONE: 'UTC',
      },
    });
  }
}
