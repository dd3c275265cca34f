import { randomBytes, randomUUID } from 'node:crypto';
import { arrowBatchBytes, arrowSchemaBytes, tableSchema } from './arrow-results';
import { databricksError, DatabricksSqlError, type DuckDbDatabricksEngine, type EngineSession, type StatementOutput } from './duckdb-engine';
import {
  OperationState,
  OperationType,
  PROTOCOL_V8,
  RowSetType,
  StatusCode,
  int64,
  type HandleIdentifier,
  type Int64Like,
  type SparkParameter,
} from './thrift-runtime';

export interface SessionRecord {
  id: string;
  catalog: string;
  schema: string;
  configuration: Record<string, string>;
  openedAt: number;
  closedAt?: number;
}

export type StatementState = 'running' | 'finished' | 'error' | 'canceled' | 'timedout' | 'rejected';

export interface StatementRecord {
  sessionId: string;
  catalog: string;
  sql: string;
  parameters: number;
  queryTimeoutSeconds: number;
  state: StatementState;
  error?: string;
}

export interface RequestRecord {
  method: string;
  status: number | 'reset';
  bearer: string;
}

/** What the server saw, for tests to assert on; and the faults tests ask it to inject. */
export class ServerRecorder {
  readonly sessions: SessionRecord[] = [];
  readonly statements: StatementRecord[] = [];
  readonly requests: RequestRecord[] = [];
  /** Rows per FetchResults page, in order. */
  readonly pages: number[] = [];
  private readonly peaks = new Map<string, number>();

  opened(record: SessionRecord): void {
    this.sessions.push(record);
    const open = this.openSessions(record.catalog).length;
    this.peaks.set(record.catalog, Math.max(this.peaks.get(record.catalog) ?? 0, open));
  }

  openSessions(catalog?: string): SessionRecord[] {
    return this.sessions.filter((s) => s.closedAt === undefined && (catalog === undefined || s.catalog === catalog));
  }

  sessionsOpened(catalog?: string): SessionRecord[] {
    return this.sessions.filter((s) => catalog === undefined || s.catalog === catalog);
  }

  /** The most sessions open at once in a catalog (the one each was opened in). */
  peakOpenSessions(catalog: string): number {
    return this.peaks.get(catalog) ?? 0;
  }

  statementsLike(pattern: RegExp): StatementRecord[] {
    return this.statements.filter((s) => pattern.test(s.sql));
  }

  requestsFor(method: string): RequestRecord[] {
    return this.requests.filter((r) => r.method === method);
  }
}

export class ServerHooks {
  /** Tokens accepted as `Authorization: Bearer <token>`. */
  readonly acceptedTokens = new Set<string>();
  /** Added before each statement runs, so concurrent statements overlap. */
  statementDelayMs = 0;
  private readonly faults: Array<{ method: string; fault: number | 'reset' }> = [];
  private readonly statementFaults: Array<{ pattern: RegExp; message: string }> = [];
  private expiringExecutes = 0;
  private expireAll?: () => void;

  /** The next `times` requests to `method` get HTTP `status` (or a dropped connection), unprocessed. */
  failNext(method: string, status: number | 'reset', times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ method, fault: status });
  }

  /**
   * The next `times` statements whose text matches `pattern` fail with `message` (as a warehouse
   * words its errors: `[CLASS] ... SQLSTATE: x`) without running: a permission revoked, a
   * concurrent writer, a statement the network lost after it was accepted.
   */
  failStatements(pattern: RegExp, message: string, times = 1): void {
    for (let i = 0; i < times; i++) this.statementFaults.push({ pattern, message });
  }

  takeStatementFault(sql: string): string | undefined {
    const index = this.statementFaults.findIndex((f) => f.pattern.test(sql));
    return index < 0 ? undefined : this.statementFaults.splice(index, 1)[0].message;
  }

  /** Every open session becomes unknown to the server, as after a session timeout. */
  expireSessions(): void {
    this.expireAll?.();
  }

  /** The next `times` ExecuteStatement calls find their session expired. */
  expireNextExecutes(times = 1): void {
    this.expiringExecutes += times;
  }

  takeFault(method: string): number | 'reset' | undefined {
    const index = this.faults.findIndex((f) => f.method === method);
    return index < 0 ? undefined : this.faults.splice(index, 1)[0].fault;
  }

  takeExpiringExecute(): boolean {
    if (this.expiringExecutes === 0) return false;
    this.expiringExecutes--;
    return true;
  }

  onExpireAll(fn: () => void): void {
    this.expireAll = fn;
  }
}

interface ServerSession {
  id: string;
  handle: { sessionId: HandleIdentifier };
  engine: EngineSession;
  record: SessionRecord;
  expired: boolean;
  queue: Promise<unknown>;
}

interface ServerOperation {
  handle: { operationId: HandleIdentifier; operationType: number; hasResultSet: boolean };
  session: ServerSession;
  state: number;
  executing: boolean;
  interrupted?: 'cancel' | 'timeout';
  output?: StatementOutput;
  error?: DatabricksSqlError;
  cursor: number;
  done: Promise<unknown>;
  record: StatementRecord;
}

interface Handle {
  sessionId?: HandleIdentifier;
  operationId?: HandleIdentifier;
}

const success = () => ({ statusCode: StatusCode.SUCCESS });
const failure = (error: DatabricksSqlError) => ({
  statusCode: StatusCode.ERROR,
  errorMessage: error.message,
  displayMessage: error.message,
  sqlState: error.sqlState,
});
const invalidHandle = (kind: 'session' | 'operation', id: string) => ({
  statusCode: StatusCode.INVALID_HANDLE,
  errorMessage:
    kind === 'session'
      ? `[INVALID_HANDLE.SESSION_NOT_FOUND] The handle ${id} is invalid. Session does not exist. SQLSTATE: HY000`
      : `[INVALID_HANDLE.OPERATION_NOT_FOUND] The handle ${id} is invalid. Operation does not exist. SQLSTATE: HY000`,
  sqlState: 'HY000',
});

function newHandle(): { id: string; identifier: HandleIdentifier } {
  const id = randomUUID();
  return { id, identifier: { guid: Buffer.from(id.replace(/-/g, ''), 'hex'), secret: randomBytes(16) } };
}

function handleId(identifier: HandleIdentifier | undefined): string {
  return identifier ? identifier.guid.toString('hex') : '';
}

const pause = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/**
 * The TCLIService methods `@databricks/sql` calls, as a SQL warehouse answers them: sessions
 * with an initial namespace, asynchronous statements polled with GetOperationStatus, results as
 * Arrow batches page by page.
 */
export class TcliHandler {
  private readonly sessions = new Map<string, ServerSession>();
  private readonly operations = new Map<string, ServerOperation>();

  constructor(
    private readonly engine: DuckDbDatabricksEngine,
    private readonly recorder: ServerRecorder,
    private readonly hooks: ServerHooks,
    private readonly longPollMs: number,
  ) {
    hooks.onExpireAll(() => {
      for (const session of this.sessions.values()) session.expired = true;
    });
  }

  async OpenSession(req: { initialNamespace?: { catalogName?: string | null; schemaName?: string | null } | null; configuration?: Record<string, string> | null }) {
    const catalog = req.initialNamespace?.catalogName ?? undefined;
    const schema = req.initialNamespace?.schemaName ?? undefined;
    let engine: EngineSession;
    try {
      engine = await this.engine.openSession(catalog, schema);
    } catch (error) {
      return { status: failure(databricksError(error)), serverProtocolVersion: PROTOCOL_V8 };
    }
    for (const [key, value] of Object.entries(req.configuration ?? {})) engine.configuration.set(key.toUpperCase(), value);
    const { id, identifier } = newHandle();
    const record: SessionRecord = {
      id,
      catalog: engine.catalog,
      schema: engine.schema,
      configuration: Object.fromEntries(engine.configuration),
      openedAt: Date.now(),
    };
    const session: ServerSession = { id, handle: { sessionId: identifier }, engine, record, expired: false, queue: Promise.resolve() };
    this.sessions.set(handleId(identifier), session);
    this.recorder.opened(record);
    return {
      status: success(),
      serverProtocolVersion: PROTOCOL_V8,
      sessionHandle: session.handle,
      initialNamespace: { catalogName: engine.catalog, schemaName: engine.schema },
      canUseMultipleCatalogs: true,
      configuration: {},
    };
  }

  async CloseSession(req: { sessionHandle: Handle }) {
    const key = handleId(req.sessionHandle.sessionId);
    const session = this.sessions.get(key);
    if (!session) return { status: invalidHandle('session', key) };
    this.sessions.delete(key);
    await this.endSession(session);
    return { status: session.expired ? invalidHandle('session', session.id) : success() };
  }

  async ExecuteStatement(req: {
    sessionHandle: Handle;
    statement: string;
    queryTimeout?: Int64Like | null;
    parameters?: SparkParameter[] | null;
  }) {
    const key = handleId(req.sessionHandle.sessionId);
    const session = this.sessions.get(key);
    if (session && this.hooks.takeExpiringExecute()) session.expired = true;
    const timeoutSeconds = int64(req.queryTimeout) || Number(session?.engine.configuration.get('STATEMENT_TIMEOUT') ?? 0) || 0;
    const record: StatementRecord = {
      sessionId: session?.id ?? key,
      catalog: session?.engine.catalog ?? '',
      sql: req.statement,
      parameters: req.parameters?.length ?? 0,
      queryTimeoutSeconds: timeoutSeconds,
      state: 'running',
    };
    this.recorder.statements.push(record);
    if (!session || session.expired) {
      record.state = 'rejected';
      return { status: invalidHandle('session', session?.id ?? key) };
    }
    const { identifier } = newHandle();
    const operation: ServerOperation = {
      handle: { operationId: identifier, operationType: OperationType.EXECUTE_STATEMENT, hasResultSet: true },
      session,
      state: OperationState.RUNNING,
      executing: false,
      cursor: 0,
      done: Promise.resolve(),
      record,
    };
    this.operations.set(handleId(identifier), operation);
    operation.done = session.queue = session.queue.then(() => this.run(operation, req.statement, req.parameters ?? [], timeoutSeconds));
    return { status: success(), operationHandle: operation.handle };
  }

  async GetOperationStatus(req: { operationHandle: Handle }) {
    const operation = this.operation(req.operationHandle);
    if (!operation) return { status: invalidHandle('operation', handleId(req.operationHandle.operationId)) };
    if (operation.state === OperationState.RUNNING) await Promise.race([operation.done, pause(this.longPollMs)]);
    return {
      status: success(),
      operationState: operation.state,
      hasResultSet: true,
      errorMessage: operation.error?.message,
      displayMessage: operation.error?.message,
      sqlState: operation.error?.sqlState,
    };
  }

  async GetResultSetMetadata(req: { operationHandle: Handle }) {
    const operation = this.operation(req.operationHandle);
    if (!operation) return { status: invalidHandle('operation', handleId(req.operationHandle.operationId)) };
    if (!operation.output) return { status: failure(new DatabricksSqlError('The operation has no result set.')) };
    return {
      status: success(),
      schema: tableSchema(operation.output.codecs),
      resultFormat: RowSetType.ARROW_BASED_SET,
      lz4Compressed: false,
      arrowSchema: arrowSchemaBytes(operation.output.codecs),
      isStagingOperation: operation.output.staging === true,
    };
  }

  async FetchResults(req: { operationHandle: Handle; orientation?: number | null; maxRows: Int64Like; fetchType?: number | null }) {
    const operation = this.operation(req.operationHandle);
    if (!operation) return { status: invalidHandle('operation', handleId(req.operationHandle.operationId)) };
    const output = operation.output;
    if (!output) return { status: failure(new DatabricksSqlError('The operation has no result set.')) };
    if (req.fetchType === 1) return { status: success(), hasMoreRows: false, results: { startRowOffset: 0, rows: [] } };
    const FETCH_FIRST = 4;
    if (req.orientation === FETCH_FIRST) operation.cursor = 0;
    const from = operation.cursor;
    const to = Math.min(output.rowCount, from + Math.max(1, int64(req.maxRows) ?? 10_000));
    operation.cursor = to;
    const arrowBatches = to > from && output.codecs.length > 0 ? [{ batch: arrowBatchBytes(output.codecs, output.columns, from, to), rowCount: to - from }] : [];
    this.recorder.pages.push(to - from);
    return { status: success(), hasMoreRows: to < output.rowCount, results: { startRowOffset: from, rows: [], arrowBatches } };
  }

  async CancelOperation(req: { operationHandle: Handle }) {
    const operation = this.operation(req.operationHandle);
    if (!operation) return { status: invalidHandle('operation', handleId(req.operationHandle.operationId)) };
    this.interrupt(operation, 'cancel');
    return { status: success() };
  }

  async CloseOperation(req: { operationHandle: Handle }) {
    const key = handleId(req.operationHandle.operationId);
    const operation = this.operations.get(key);
    if (!operation) return { status: invalidHandle('operation', key) };
    this.interrupt(operation, 'cancel');
    this.operations.delete(key);
    return { status: success() };
  }

  async closeAll(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => this.endSession(s)));
  }

  private operation(handle: Handle): ServerOperation | undefined {
    const operation = this.operations.get(handleId(handle.operationId));
    return operation && !operation.session.expired ? operation : undefined;
  }

  private async run(operation: ServerOperation, sql: string, parameters: SparkParameter[], timeoutSeconds: number): Promise<void> {
    const { record } = operation;
    if (this.hooks.statementDelayMs > 0) await pause(this.hooks.statementDelayMs);
    if (operation.interrupted) {
      operation.state = OperationState.CANCELED;
      record.state = 'canceled';
      return;
    }
    const timer = timeoutSeconds > 0 ? setTimeout(() => this.interrupt(operation, 'timeout'), timeoutSeconds * 1000) : undefined;
    operation.executing = true;
    try {
      const fault = this.hooks.takeStatementFault(sql);
      if (fault !== undefined) throw new DatabricksSqlError(fault);
      operation.output = await this.engine.execute(operation.session.engine, sql, parameters);
      operation.state = OperationState.FINISHED;
      record.state = 'finished';
    } catch (error) {
      if (operation.interrupted === 'timeout') {
        operation.state = OperationState.TIMEDOUT;
        operation.error = new DatabricksSqlError(
          `[QUERY_EXECUTION_TIMEOUT_EXCEEDED] Query execution was cancelled due to exceeding the timeout (${timeoutSeconds}s). SQLSTATE: 57KD0`,
          '57KD0',
        );
        record.state = 'timedout';
      } else if (operation.interrupted === 'cancel') {
        operation.state = OperationState.CANCELED;
        record.state = 'canceled';
      } else {
        operation.state = OperationState.ERROR;
        operation.error = databricksError(error);
        record.state = 'error';
        record.error = operation.error.message;
      }
    } finally {
      operation.executing = false;
      clearTimeout(timer);
    }
  }

  private interrupt(operation: ServerOperation, reason: 'cancel' | 'timeout'): void {
    if (operation.state !== OperationState.RUNNING || operation.interrupted) return;
    operation.interrupted = reason;
    if (operation.executing) operation.session.engine.connection.interrupt();
  }

  private async endSession(session: ServerSession): Promise<void> {
    for (const [key, operation] of this.operations) {
      if (operation.session !== session) continue;
      this.interrupt(operation, 'cancel');
      this.operations.delete(key);
    }
    await session.queue.catch(() => undefined);
    this.engine.closeSession(session.engine);
    session.record.closedAt = Date.now();
  }
}
