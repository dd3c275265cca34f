import type IDBSQLSession from '@databricks/sql/dist/contracts/IDBSQLSession';
import type IOperation from '@databricks/sql/dist/contracts/IOperation';
import type { QueryResult, Row, SqlParam, StreamOptions } from '../types';
import { Cursor, Deadline, timeoutError } from './cursor';
import { isInvalidSessionError, toWarehouseError } from './driver-errors.util';
import { RetryPolicy, type RetryLimits } from './retry.policy';
import { normaliseRows, resultColumns } from './row-values.util';
import type { Lease } from './session-pool';
import type { SessionSource, Target, TenantSessions } from './tenant-sessions';

export interface StatementLimits {
  /** Statement time limit when a call sets none. */
  statementTimeoutMs: number;
  /** How long past a limit to wait for the server's own timeout before cancelling. */
  timeoutGraceMs: number;
  /** Rows per fetched page for readAll. */
  fetchRows: number;
  retry: RetryLimits;
}

const noop = () => undefined;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends statements and reads their results page by page, each under its time limit (sent to the
 * server as queryTimeout, and enforced here by cancelling) and the driver's one RetryPolicy.
 */
export class StatementRunner {
  constructor(
    private readonly sessions: TenantSessions,
    private readonly limits: StatementLimits,
  ) {}

  /**
   * Runs one statement that returns nothing to keep. With `stagingAllowedLocalPath`, a staging
   * answer (PUT/GET/REMOVE) is carried out by the driver.
   */
  async execute(target: Target | SessionSource, sql: string, params?: SqlParam[], timeoutMs?: number, stagingAllowedLocalPath?: string[]): Promise<void> {
    await this.run(target, sql, params, timeoutMs, { idempotent: false, stagingAllowedLocalPath }, async (operation, lease, source) => {
      await operation.close().catch(noop);
      source.release(lease);
    });
  }

  async readAll<R extends Row = Row>(target: Target | SessionSource, sql: string, params?: SqlParam[], timeoutMs?: number): Promise<QueryResult<R>> {
    const cursor = await this.openCursor(target, sql, params, timeoutMs, this.limits.fetchRows);
    const rows: Row[] = [];
    try {
      for (let chunk = await cursor.next(); chunk; chunk = await cursor.next()) rows.push(...chunk);
    } finally {
      await cursor.close();
    }
    return { columns: cursor.columns.map(({ name, type }) => ({ name, type })), rows: rows as R[] };
  }

  async *readChunks(target: Target, sql: string, params: SqlParam[] | undefined, options: StreamOptions | undefined): AsyncGenerator<Row[]> {
    const pageRows = Math.max(1, Math.floor(options?.chunkSize ?? this.limits.fetchRows));
    const cursor = await this.openCursor(target, sql, params, options?.timeoutMs, pageRows);
    try {
      for (let chunk = await cursor.next(); chunk; chunk = await cursor.next()) yield chunk;
    } finally {
      await cursor.close();
    }
  }

  /** Starts a read and fetches its first page; the session stays leased to the cursor. */
  private openCursor(target: Target | SessionSource, sql: string, params: SqlParam[] | undefined, timeoutMs: number | undefined, pageRows: number): Promise<Cursor> {
    return this.run(target, sql, params, timeoutMs, { idempotent: true }, async (operation, lease, source) => {
      const columns = resultColumns(await operation.getSchema());
      const first = normaliseRows(columns, await operation.fetchChunk({ maxRows: pageRows }));
      return new Cursor(columns, operation, first, pageRows, (discard) => source.release(lease, discard));
    });
  }

  /**
   * Sends a statement until it has finished and `finished` has taken its result, trying again
   * as the RetryPolicy allows. A failure releases the session (discarded when the server
   * rejected it) and is reported as a WarehouseError; past the time limit, as a timeout.
   */
  private async run<T>(
    target: Target | SessionSource,
    sql: string,
    params: SqlParam[] | undefined,
    timeoutMs: number | undefined,
    kind: { idempotent: boolean; stagingAllowedLocalPath?: string[] },
    finished: (operation: IOperation, lease: Lease<IDBSQLSession>, source: SessionSource) => Promise<T>,
  ): Promise<T> {
    const limitMs = timeoutMs ?? this.limits.statementTimeoutMs;
    const deadline = new Deadline(limitMs + this.limits.timeoutGraceMs);
    const retry = new RetryPolicy(this.limits.retry);
    const options = {
      ordinalParameters: params ?? [],
      queryTimeout: Math.max(1, Math.ceil(limitMs / 1000)),
      ...(kind.stagingAllowedLocalPath ? { stagingAllowedLocalPath: kind.stagingAllowedLocalPath } : {}),
    };
    try {
      for (;;) {
        const source = this.sessions.source(target);
        let lease: Lease<IDBSQLSession> | undefined;
        let operation: IOperation | undefined;
        try {
          lease = await source.acquire();
          if (deadline.timedOut) throw timeoutError();
          operation = await lease.session.executeStatement(sql, options);
          deadline.watch(operation);
          await operation.finished();
          return await finished(operation, lease, source);
        } catch (error) {
          await operation?.close().catch(noop);
          const invalid = isInvalidSessionError(error);
          if (lease) source.release(lease, invalid);
          if (deadline.timedOut) throw timeoutError(error);
          const wait = retry.next({ error, idempotent: kind.idempotent, reopenable: source.reopenable, leased: lease !== undefined, sent: operation !== undefined });
          if (wait === null) throw toWarehouseError(error, lease ? 'statement' : 'session');
          if (wait > 0) await sleep(wait);
        }
      }
    } finally {
      deadline.clear();
    }
  }
}
