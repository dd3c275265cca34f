import { z } from 'zod';
import { DomainError } from '@kineo/errors';

const port = z.coerce.number().int().min(1).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Days a finished load's landing files are kept when neither the setting nor the tenant says. */
export const DEFAULT_LANDING_RETENTION_DAYS = 7;

/** Every setting the platform reads from its environment, in one place. */
const duckdbSize = z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'must be a size such as 2GB');

export const settingsSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KINEO_DATA_DIR: z.string().min(1).default('.data'),
  DATABASE_URL: z
    .string()
    .url()
    .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must be a postgres:// or postgresql:// URL')
    .default('postgresql://postgres:postgres@127.0.0.1:54329/kineo'),
  REDIS_URL: z
    .string()
    .url()
    .refine((u) => /^rediss?:\/\//.test(u), 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:63799'),
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_PORT: port.default(4000),
  PORTAL_PORT: port.default(3000),
  WAREHOUSE_ENGINE: z.enum(['duckdb', 'databricks']).default('duckdb'),
  // Where a reader (the gateway) runs its warehouse driver: in its own process, or in a reader
  // process it starts (the gateway then loads neither engine's driver nor the read-only guard's
  // parser; a crash in DuckDB stops only the reader).
  WAREHOUSE_READER: z.enum(['in-process', 'child-process']).default('in-process'),
  WAREHOUSE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(300_000),
  // Loads and builds (the worker): one statement of a 100M-row tenant's load runs for many minutes.
  WAREHOUSE_BUILD_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(6 * 3_600_000),
  DUCKDB_THREADS: z.coerce.number().int().min(1).max(64).default(2),
  DUCKDB_MEMORY_LIMIT: duckdbSize.default('2GB'),
  // Readers (the gateway) hold one DuckDB per open snapshot; unset, each may use DUCKDB_MEMORY_LIMIT.
  DUCKDB_READER_MEMORY_LIMIT: duckdbSize.optional(),
  DUCKDB_MAX_OPEN_TENANTS: z.coerce.number().int().min(1).default(8),
  DUCKDB_MAX_OPEN_SNAPSHOTS: z.coerce.number().int().min(1).default(8),
  // What an open snapshot keeps cached between queries (readers); 'off' keeps all it cached.
  DUCKDB_IDLE_SNAPSHOT_MEMORY: z.union([z.literal('off'), duckdbSize]).default('1MB'),
  // How long no query must have read a snapshot before it gives back what it cached (0: at once).
  // Only the snapshot read last waits, so this is how long a person may read one screen before the
  // next one's queries read the tenant's blocks again (10-60 % of a heavy uncached answer).
  DUCKDB_IDLE_SNAPSHOT_DELAY_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  DATABRICKS_HOST: z.string().min(1).optional(),
  DATABRICKS_HTTP_PATH: z.string().min(1).optional(),
  // A workspace (or private endpoint, or the local test server) on another port than 443.
  DATABRICKS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  // A PEM file of the CA that signs the workspace's TLS certificate, when it is not a public CA.
  DATABRICKS_CA_CERT_FILE: z.string().min(1).optional(),
  DATABRICKS_AUTH: z.enum(['token', 'entra']).default('token'),
  DATABRICKS_ISOLATION: z.enum(['catalog', 'schema']).default('catalog'),
  DATABRICKS_SHARED_CATALOG: z.string().regex(/^[a-z][a-z0-9_]{2,62}$/).optional(),
  SECRET_STORE: z.enum(['env', 'file', 'keyvault']).default('file'),
  KEY_VAULT_URL: z.string().url().optional(),
  LANDING_SCAN_INTERVAL_MS: z.coerce.number().int().min(1000).default(15_000),
  /**
   * Where landed files live between the gateway (or CLI) that receives them and the worker that
   * loads them: `local` (KINEO_DATA_DIR/landing, one machine) or `azure-blob` (LANDING_BLOB_URL, for
   * processes that share no disk, such as Container Apps).
   */
  LANDING_STORE: z.enum(['local', 'azure-blob']).default('local'),
  /** The blob container of LANDING_STORE=azure-blob, https://<account>.blob.core.windows.net/<container>. */
  LANDING_BLOB_URL: z
    .url({ protocol: /^https?$/ })
    .refine((u) => new URL(u).pathname.replace(/\/+$/, '').split('/').filter(Boolean).length >= 1, 'must name the container: https://<account>.blob.core.windows.net/<container>')
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  /**
   * How the landing container is reached: the app's managed identity (DefaultAzureCredential; the
   * storage account takes no shared keys), or `azurite`, the emulator's published development
   * account, for tests and the local stack only (refused when NODE_ENV=production).
   */
  LANDING_BLOB_AUTH: z.enum(['managed-identity', 'azurite']).default('managed-identity'),
  /**
   * Days a finished load's landing files are kept (failed loads keep theirs for a retry and for
   * inspection); a tenant may have its own period. 7 unless set.
   */
  LANDING_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(DEFAULT_LANDING_RETENTION_DAYS),
  /** How often the worker starts recorded loads the queue never accepted (ms); 30 s unless set. */
  LOAD_ENQUEUE_RETRY_INTERVAL_MS: z.coerce.number().int().min(1000).default(30_000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /**
   * How long a tenant's one-writer lock lives without renewal (ms; renewed every third of it). A
   * running job rides out a Redis outage shorter than two renewal intervals. 60 s unless set.
   */
  WORKER_TENANT_LOCK_TTL_MS: z.coerce.number().int().min(3000).default(60_000),
  /**
   * On SIGTERM, how long the worker lets its jobs in hand finish (ms) before stopping each at its
   * next step and handing it back to the queue; 20 s unless set, inside Container Apps' default 30 s
   * before SIGKILL.
   */
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(20_000),
  /**
   * On SIGTERM, how long the gateway lets requests in flight finish (ms) while it refuses new ones;
   * past it the process exits 1 and those requests are cut. 25 s unless set.
   */
  GATEWAY_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(25_000),
  METRICS_ENABLED: bool.default(true),
  /** The largest single file the upload endpoint takes (bytes); 2 GiB unless set. */
  UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).default(2 * 1024 ** 3),
  /**
   * The largest one multipart upload request may declare (bytes, all files together); 4 GiB unless
   * set. Bigger loads go through resumable uploads, file by file.
   */
  UPLOAD_MAX_REQUEST_BYTES: z.coerce.number().int().min(1).default(4 * 1024 ** 3),
  /** How long a resumable upload may take from its creation (seconds) before it is removed; 24 hours unless set. */
  UPLOAD_RESUMABLE_EXPIRY_SECONDS: z.coerce.number().int().min(1).max(30 * 24 * 3600).default(24 * 3600),
  /** How long a sign-in lasts (seconds); 12 hours unless set. */
  AUTH_SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(30 * 24 * 3600).default(12 * 3600),
  /** How long a refresh token stays usable (seconds); each refresh hands out a new one. 30 days unless set. */
  AUTH_REFRESH_TTL_SECONDS: z.coerce.number().int().min(60).max(365 * 24 * 3600).default(30 * 24 * 3600),
  /** Where people open the portal; invitation and password-reset links point here. */
  PORTAL_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3000'),
  /** The gateway's address as browsers reach it; Microsoft sign-in redirects back to it. Unset: taken from the request. */
  GATEWAY_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** SMTP server for invitation and reset e-mails (smtp://user:pass@host:587); unset: links are logged and returned to the admin. */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  /** The From address of those e-mails. */
  MAIL_FROM: z.string().min(3).default('Kineo Analytics <no-reply@kineo.local>'),
  /** Analytics answers from the Redis result cache; off only to measure the warehouse itself. */
  ANALYTICS_CACHE_ENABLED: bool.default(true),
  /** Queries a published rollup (pre-aggregation) answers exactly read it instead of the facts; off only to compare. */
  ANALYTICS_ROLLUPS: bool.default(true),
  /** The longest one analytics query may run on the warehouse before it is stopped (QUERY_TIMEOUT); 30 s unless set. */
  ANALYTICS_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** Analytics requests (GraphQL analytics operations and exports) one user may make per minute. */
  ANALYTICS_RATE_LIMIT_PER_USER: z.coerce.number().int().min(1).default(300),
  /** Analytics requests all users of one tenant together may make per minute. */
  ANALYTICS_RATE_LIMIT_PER_TENANT: z.coerce.number().int().min(1).default(3000),
  /** Exports one user may have running at once (each is a file the gateway writes); one more is refused (429) until one ends. */
  EXPORTS_IN_FLIGHT_PER_USER: z.coerce.number().int().min(1).default(2),
  /** Exports all users of one tenant together may have running at once. */
  EXPORTS_IN_FLIGHT_PER_TENANT: z.coerce.number().int().min(1).default(6),
  /**
   * Refuse to start without the secrets a deployment must bring (the session signing key) instead
   * of generating one; always on when NODE_ENV=production.
   */
  AUTH_REQUIRE_SECRETS: bool.default(false),
  /** Browser origins (comma-separated) allowed to call the gateway cross-origin; PORTAL_URL's origin unless set. */
  CORS_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.url({ protocol: /^https?$/ }).transform((u) => new URL(u).origin)))
    .optional(),
  /**
   * Addresses or CIDR ranges (comma-separated) of proxies whose X-Forwarded-For the gateway believes,
   * such as the portal's server; from anyone else the header is ignored. None unless set.
   */
  TRUSTED_PROXIES: z
    .string()
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()])))
    .default([]),
  /**
   * Hosts (comma-separated) an organisation's Microsoft sign-in issuer, and the endpoints its
   * discovery document names, may be on when NODE_ENV=production (https only there).
   * Entra ID's login.microsoftonline.com unless set; add a sovereign cloud's host here.
   */
  OIDC_ALLOWED_ISSUER_HOSTS: z
    .string()
    .transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$/, 'must be host names such as login.microsoftonline.com')).min(1))
    .default(['login.microsoftonline.com']),
  /** The largest GraphQL request body (bytes); 1 MiB unless set. */
  GRAPHQL_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1024 ** 2),
  /** The gateway the portal's server side calls. */
  KINEO_GATEWAY_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL')
    .transform((u) => u.replace(/\/+$/, ''))
    .default('http://127.0.0.1:4000'),
  /**
   * Where traces go (OTLP over HTTP, e.g. http://collector:4318): the exporter posts to
   * `<endpoint>/v1/traces`. Unset: no tracing SDK is loaded and no span is recorded.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')).optional(),
  /**
   * Headers sent with every export, `key=value` pairs separated by commas (an Application Insights
   * or collector API key). Never logged.
   */
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .regex(/^\s*[^=,\s]+\s*=[^,]*(,\s*[^=,\s]+\s*=[^,]*)*$/, 'must be key=value pairs separated by commas')
    .optional(),
  /** The share of traces kept, 0 to 1 (a parent's decision is followed); all unless set. */
  OTEL_TRACES_SAMPLER_RATIO: z.coerce.number().min(0).max(1).default(1),
  /** The redis-server program the stack and the test harness start. */
  REDIS_SERVER_BIN: z.string().min(1).default('redis-server'),
  /** The CLI prints an unexpected error's stack trace. */
  KINEO_DEBUG: bool.default(false),
  /** Who runs the CLI, recorded as the actor (`cli:<USER>`) of what it audits; the login shell sets it. */
  USER: z.string().min(1).default('unknown'),
});

export type Settings = z.infer<typeof settingsSchema>;

/** Settings that fail validation; the message names every bad variable (never its value). */
export class ConfigError extends DomainError {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'CONFIG_INVALID',
      'Invalid configuration:\n' +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
  }
}

/**
 * Parses the environment once. Throws a ConfigError naming every bad variable, so a process fails at
 * start-up rather than on the first request that needs the setting. `overrides` win over the
 * environment, for a process that fixes some settings whatever it is given.
 */
export function loadSettings(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Record<keyof Settings, string>> = {},
): Settings {
  const input: Record<string, string> = {};
  for (const key of Object.keys(settingsSchema.shape) as (keyof Settings)[]) {
    const value = overrides[key] ?? env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(settings)'),
        message: `${issue.message}${input[String(issue.path[0])] !== undefined ? ` (got "${input[String(issue.path[0])]}")` : ''}`,
      })),
    );
  }
  const settings = parsed.data;
  const missing: { variable: string; message: string }[] = [];
  if (settings.SECRET_STORE === 'keyvault' && !settings.KEY_VAULT_URL) {
    missing.push({ variable: 'KEY_VAULT_URL', message: 'is required when SECRET_STORE=keyvault' });
  }
  if (settings.LANDING_STORE === 'azure-blob' && !settings.LANDING_BLOB_URL) {
    missing.push({ variable: 'LANDING_BLOB_URL', message: 'is required when LANDING_STORE=azure-blob' });
  }
  if (settings.LANDING_BLOB_AUTH === 'azurite' && settings.NODE_ENV === 'production') {
    missing.push({ variable: 'LANDING_BLOB_AUTH', message: 'azurite (the emulator\'s public development key) is not used in production; use managed-identity' });
  }
  if (settings.WAREHOUSE_ENGINE === 'databricks') {
    for (const variable of ['DATABRICKS_HOST', 'DATABRICKS_HTTP_PATH'] as const) {
      if (!settings[variable]) missing.push({ variable, message: 'is required when WAREHOUSE_ENGINE=databricks' });
    }
    if (settings.DATABRICKS_ISOLATION === 'schema' && !settings.DATABRICKS_SHARED_CATALOG) {
      missing.push({ variable: 'DATABRICKS_SHARED_CATALOG', message: 'is required when DATABRICKS_ISOLATION=schema' });
    }
  }
  if (missing.length > 0) throw new ConfigError(missing);
  return settings;
}

/**
 * One setting from the environment, checked like loadSettings() checks it, for code that needs only
 * that one (a test harness) and should not fail on the others.
 */
export function loadSetting<K extends keyof Settings>(key: K, env: Record<string, string | undefined> = process.env): Settings[K] {
  const value = env[key];
  const parsed = settingsSchema.shape[key].safeParse(value === '' ? undefined : value);
  if (!parsed.success) {
    throw new ConfigError([{ variable: key, message: `${parsed.error.issues[0]?.message ?? 'invalid'} (got "${value}")` }]);
  }
  return parsed.data as Settings[K];
}

/** The discrete connection fields Prisma's pg adapter and embedded tools need. */
export interface PostgresConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function postgresConnection(databaseUrl: string): PostgresConnection {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username || 'postgres'),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '') || 'postgres'),
  };
}

/** Whether this process must be given its secrets rather than fall back to development ones. */
export function secretsRequired(settings: Pick<Settings, 'NODE_ENV' | 'AUTH_REQUIRE_SECRETS'>): boolean {
  return settings.NODE_ENV === 'production' || settings.AUTH_REQUIRE_SECRETS;
}

/**
 * Refuses, when secrets are required, settings still holding a development default that carries a
 * credential (the metadata database's postgres:postgres), so a deployment that forgot one fails to
 * start instead of running on a password published in this repository.
 */
export function assertNoDevelopmentSecrets(settings: Settings): void {
  if (!secretsRequired(settings)) return;
  const defaults = settingsSchema.parse({});
  const problems: { variable: string; message: string }[] = [];
  if (settings.DATABASE_URL === defaults.DATABASE_URL) {
    problems.push({ variable: 'DATABASE_URL', message: 'must be set in production; the development default (with its well-known password) is not used there' });
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
