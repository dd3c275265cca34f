import type IOperation from '@databricks/sql/dist/contracts/IOperation';
import { WarehouseError } from '../errors';
import type { Row } from '../types';
import { isInvalidSessionError, toWarehouseError } from './driver-errors.util';
import { normaliseRows, type ResultColumn } from './row-values.util';

const noop = () => undefined;

export function timeoutError(cause?: unknown): WarehouseError {
  return new WarehouseError('WAREHOUSE_TIMEOUT', 'The statement ran longer than its time limit and was cancelled.', { cause });
}

/** Cancels the watched operation once the time limit has passed. */
export class Deadline {
  timedOut = false;
  private operation?: IOperation;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.timer = setTimeout(
      () => {
        this.timedOut = true;
        void this.operation?.cancel().catch(noop);
      },
      Math.min(ms, 2 ** 31 - 1),
    );
  }

  watch(operation: IOperation): void {
    this.operation = operation;
    if (this.timedOut) void operation.cancel().catch(noop);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/** An open result: the first page is fetched, the session stays leased until close(). */
export class Cursor {
  private done = false;
  private discard = false;

  constructor(
    readonly columns: ResultColumn[],
    private readonly operation: IOperation,
    private pending: Row[] | undefined,
    private readonly pageRows: number,
    private readonly release: (discard: boolean) => void,
  ) {}

  async next(): Promise<Row[] | null> {
    if (this.done) return null;
    const pending = this.pending;
    this.pending = undefined;
    if (pending && pending.length > 0) return pending;
    try {
      while (await this.operation.hasMoreRows()) {
        const raw = await this.operation.fetchChunk({ maxRows: this.pageRows });
        if (raw.length > 0) return normaliseRows(this.columns, raw);
      }
    } catch (error) {
      this.discard = isInvalidSessionError(error);
      await this.close();
      throw toWarehouseError(error);
    }
    await this.close();
    return null;
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.operation.close().catch(noop);
    this.release(this.discard);
  }
}
