import type { Settings } from '@kineo/config';
import { isDomainError } from '@kineo/errors';
import type { DuckDbWarehouseOptions } from '../duckdb';
import { WarehouseError, type WarehouseErrorCode } from '../errors';

/**
 * The messages between a process and its warehouse reader process (child-reader.ts), sent over Node's
 * IPC channel with the `advanced` serialization (structured clone: bigint, Date and nested rows
 * arrive as they were sent). Every request carries an id its reply repeats.
 */

/** Warehouse methods whose arguments and results are plain values, run in the child as they are. */
export const FORWARDED_METHODS = [
  'provision',
  'isProvisioned',
  'drop',
  'execute',
  'query',
  'tableCounts',
  'tableVersions',
  'prepareVersion',
  'deriveVersion',
  'publish',
  'publishedVersion',
  'queryPublished',
  'stageFile',
  'removeStaged',
  'pruneSnapshots',
  'release',
  'ping',
] as const;
export type ForwardedMethod = (typeof FORWARDED_METHODS)[number];

/**
 * What the reader process runs: a DuckDB driver with these options (less the callback: its
 * warnings come back as messages), or the reader warehouse these settings select, either engine.
 */
export type ReaderInit = { driver: 'duckdb'; options: Omit<DuckDbWarehouseOptions, 'warn'> } | { driver: 'settings'; settings: Settings };

export type Request =
  | { id: number; kind: 'call'; method: ForwardedMethod; args: unknown[] }
  /** Starts a stream under this request's id; its rows come one `next` at a time, so the child holds one chunk. */
  | { id: number; kind: 'stream'; method: 'stream' | 'streamPublished'; args: unknown[] }
  | { id: number; kind: 'next'; stream: number }
  | { id: number; kind: 'end-stream'; stream: number }
  /** Opens a session under this request's id, answered once its connection is open. */
  | { id: number; kind: 'session'; tenant: unknown }
  | { id: number; kind: 'session-call'; session: number; method: 'execute' | 'query'; args: unknown[] }
  | { id: number; kind: 'end-session'; session: number }
  | { id: number; kind: 'close' };

/** What crosses for an error: a WarehouseError whole (its code is what callers act on), anything else as a message. */
export type WireError =
  | { warehouse: true; code: WarehouseErrorCode; message: string; details: Record<string, unknown>; cause?: string }
  | { warehouse: false; name: string; message: string };

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

/** Sent by the child unasked: it is ready (or could not open its warehouse), or it warns. */
export type Notice = { kind: 'ready' } | { kind: 'failed'; error: WireError } | { kind: 'warn'; message: string };

export type ChildMessage = Reply | Notice;

export function toWire(error: unknown): WireError {
  if (error instanceof WarehouseError || (isDomainError(error) && error.code.startsWith('WAREHOUSE_'))) {
    const cause = (error as Error).cause;
    return {
      warehouse: true,
      code: error.code as WarehouseErrorCode,
      message: error.message,
      details: error.details,
      ...(cause === undefined ? {} : { cause: cause instanceof Error ? cause.message : JSON.stringify(cause) }),
    };
  }
  return error instanceof Error ? { warehouse: false, name: error.name, message: error.message } : { warehouse: false, name: 'Error', message: String(error) };
}

export function fromWire(wire: WireError): Error {
  if (wire.warehouse) {
    return new WarehouseError(wire.code, wire.message, { details: wire.details, ...(wire.cause === undefined ? {} : { cause: new Error(wire.cause) }) });
  }
  const error = new Error(wire.message);
  error.name = wire.name;
  return error;
}
