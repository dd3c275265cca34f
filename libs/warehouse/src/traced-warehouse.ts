import { ATTR, withSpan, spanOf, activeWithin, markFailed, type SpanAttributes } from '@kineo/telemetry';
import type { Engine, Layer, QueryOptions, SqlParam, TenantNamespace, Warehouse, WarehouseSession } from './types';

/**
 * The statement's leading keyword (SELECT, CREATE, ...): what a span may say about SQL. The text
 * itself stays out of traces: it can carry literals from a request or a customer's file.
 */
export function statementKind(sql: string): string {
  const match = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/|\()*([A-Za-z]+)/.exec(sql);
  return match ? match[1].toUpperCase() : 'UNKNOWN';
}

function statementAttributes(engine: Engine, tenant: TenantNamespace | undefined, sql: string, version?: number): SpanAttributes {
  return {
    'db.system.name': engine,
    'db.operation.name': statementKind(sql),
    ...(tenant ? { [ATTR.tenant]: tenant.namespace, [ATTR.tenantId]: tenant.tenantId } : {}),
    ...(version !== undefined ? { [ATTR.dataVersion]: version } : {}),
  };
}

function tenantAttributes(engine: Engine, tenant: TenantNamespace): SpanAttributes {
  return { 'db.system.name': engine, [ATTR.tenant]: tenant.namespace, [ATTR.tenantId]: tenant.tenantId };
}

/** A stream's span lasts from the first chunk asked for to the last one read (or the reader stopping). */
async function* tracedStream<T>(name: string, attributes: SpanAttributes, open: () => AsyncGenerator<T>): AsyncGenerator<T> {
  const span = spanOf(name, attributes);
  let chunks = 0;
  try {
    const source = activeWithin(span, open);
    for await (const chunk of source) {
      chunks++;
      yield chunk;
    }
  } catch (error) {
    if (span) markFailed(span, error);
    throw error;
  } finally {
    span?.setAttribute('kineo.chunks', chunks);
    span?.end();
  }
}

function tracedSession(engine: Engine, tenant: TenantNamespace, session: WarehouseSession): WarehouseSession {
  return {
    execute: (sql: string, params?: SqlParam[], options?: QueryOptions) =>
      withSpan('warehouse.execute', statementAttributes(engine, tenant, sql), () => session.execute(sql, params, options)),
    query: (sql, params, options) => withSpan('warehouse.query', statementAttributes(engine, tenant, sql), () => session.query(sql, params, options)),
  };
}

/**
 * The warehouse with a span around each statement and each tenant-level operation, children of the
 * resolver or model that ran them. Used only while tracing is on; otherwise the warehouse is the
 * driver itself.
 */
export function tracedWarehouse(warehouse: Warehouse): Warehouse {
  const engine = warehouse.engine;
  const tenantOp =
    <A extends unknown[], R>(name: string, fn: (tenant: TenantNamespace, ...rest: A) => Promise<R>) =>
    (tenant: TenantNamespace, ...rest: A): Promise<R> =>
      withSpan(`warehouse.${name}`, tenantAttributes(engine, tenant), () => fn(tenant, ...rest));
  return {
    engine,
    dialect: warehouse.dialect,
    provision: tenantOp('provision', (tenant) => warehouse.provision(tenant)),
    isProvisioned: (tenant) => warehouse.isProvisioned(tenant),
    drop: tenantOp('drop', (tenant) => warehouse.drop(tenant)),
    execute: (tenant, sql, params, options) =>
      withSpan('warehouse.execute', statementAttributes(engine, tenant, sql), () => warehouse.execute(tenant, sql, params, options)),
    query: (tenant, sql, params, options) =>
      withSpan('warehouse.query', statementAttributes(engine, tenant, sql), () => warehouse.query(tenant, sql, params, options)),
    stream: (tenant, sql, params, options) =>
      tracedStream('warehouse.stream', statementAttributes(engine, tenant, sql), () => warehouse.stream(tenant, sql, params, options)),
    session: (tenant, fn) => warehouse.session(tenant, (session) => fn(tracedSession(engine, tenant, session))),
    tableCounts: tenantOp('tableCounts', (tenant, layer: Layer) => warehouse.tableCounts(tenant, layer)),
    tableVersions: (tenant, layer, tables) => warehouse.tableVersions(tenant, layer, tables),
    prepareVersion: (tenant, version, built) =>
      withSpan('warehouse.prepareVersion', { ...tenantAttributes(engine, tenant), [ATTR.dataVersion]: version }, () =>
        warehouse.prepareVersion(tenant, version, built),
      ),
    deriveVersion: (tenant, from, version, statements) =>
      withSpan('warehouse.deriveVersion', { ...tenantAttributes(engine, tenant), [ATTR.dataVersion]: version }, () =>
        warehouse.deriveVersion(tenant, from, version, statements),
      ),
    publish: (tenant, version) =>
      withSpan('warehouse.publish', { ...tenantAttributes(engine, tenant), [ATTR.dataVersion]: version }, () => warehouse.publish(tenant, version)),
    publishedVersion: (tenant) => warehouse.publishedVersion(tenant),
    queryPublished: (tenant, sql, params, options) =>
      withSpan('warehouse.queryPublished', statementAttributes(engine, tenant, sql, options?.version), () =>
        warehouse.queryPublished(tenant, sql, params, options),
      ),
    streamPublished: (tenant, sql, params, options) =>
      tracedStream('warehouse.streamPublished', statementAttributes(engine, tenant, sql, options?.version), () =>
        warehouse.streamPublished(tenant, sql, params, options),
      ),
    stageFile: tenantOp('stageFile', (tenant, localPath: string, name: string) => warehouse.stageFile(tenant, localPath, name)),
    removeStaged: (tenant, location) => warehouse.removeStaged(tenant, location),
    bulkStorage: (tenant, choices) => warehouse.bulkStorage(tenant, choices),
    pruneSnapshots: tenantOp('pruneSnapshots', (tenant, keep: number) => warehouse.pruneSnapshots(tenant, keep)),
    release: (tenant) => warehouse.release(tenant),
    ping: () => withSpan('warehouse.ping', { 'db.system.name': engine }, () => warehouse.ping()),
    close: () => warehouse.close(),
  };
}
