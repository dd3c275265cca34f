import { createSecretStore } from '@kineo/config';
import { DuckDbWarehouse } from '../duckdb';
import { createWarehouse } from '../factory';
import type { Row, TenantNamespace, Warehouse, WarehouseSession } from '../types';
import { toWire, type ChildMessage, type ReaderInit, type Request } from './child-reader.protocol';

/**
 * The warehouse reader process: one reader warehouse (DuckDB, or whichever the settings select)
 * answering its parent (child-reader.ts) over the IPC channel. It exits when the channel closes, so
 * it never outlives the process that started it.
 */

interface OpenSession {
  opened: Promise<WarehouseSession>;
  end: () => void;
  done: Promise<unknown>;
}

const send = (message: ChildMessage): void => {
  if (process.connected) process.send?.(message);
};

let warehouse: Warehouse | undefined;
const streams = new Map<number, AsyncGenerator<Row[]>>();
const sessions = new Map<number, OpenSession>();

function started(): Warehouse {
  if (!warehouse) throw new Error('The reader process was asked before it was given its options.');
  return warehouse;
}

async function answer(request: Request): Promise<unknown> {
  const w = started();
  switch (request.kind) {
    case 'call':
      return (w[request.method] as (...args: unknown[]) => Promise<unknown>).apply(w, request.args);
    case 'stream': {
      const [tenant, sql, params, options] = request.args as [TenantNamespace, string, unknown[], object];
      streams.set(request.id, request.method === 'stream' ? w.stream(tenant, sql, params as never, options) : w.streamPublished(tenant, sql, params as never, options));
      return null;
    }
    case 'next': {
      const stream = streams.get(request.stream);
      if (!stream) throw new Error(`No stream ${request.stream} is open.`);
      const next = await stream.next().catch((error: unknown) => {
        streams.delete(request.stream);
        throw error;
      });
      if (next.done === true) streams.delete(request.stream);
      return next.done === true ? null : next.value;
    }
    case 'end-stream': {
      const stream = streams.get(request.stream);
      streams.delete(request.stream);
      await stream?.return(undefined);
      return null;
    }
    case 'session':
      return openSession(w, request.id, request.tenant as TenantNamespace);
    case 'session-call': {
      const session = sessions.get(request.session);
      if (!session) throw new Error(`No session ${request.session} is open.`);
      const s = await session.opened;
      return request.method === 'execute' ? s.execute(...(request.args as Parameters<WarehouseSession['execute']>)) : s.query(...(request.args as Parameters<WarehouseSession['query']>));
    }
    case 'end-session': {
      const session = sessions.get(request.session);
      sessions.delete(request.session);
      if (session) {
        session.end();
        await session.done;
      }
      return null;
    }
    case 'close':
      await w.close();
      return null;
  }
}

/** The session's connection stays open, inside the driver's session(), until its end-session arrives. */
async function openSession(w: Warehouse, id: number, tenant: TenantNamespace): Promise<null> {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  let opened!: (s: WarehouseSession) => void;
  const ready = new Promise<WarehouseSession>((resolve) => (opened = resolve));
  const done = w.session(tenant, async (s) => {
    opened(s);
    await ended;
  });
  // Awaited by end-session; a session that failed before then is reported there or by the race below.
  done.catch(() => undefined);
  sessions.set(id, { opened: ready, end, done });
  try {
    await Promise.race([ready, done.then(() => Promise.reject(new Error('The session ended before it opened.')))]);
  } catch (error) {
    sessions.delete(id);
    throw error;
  }
  return null;
}

const warn = (text: string) => send({ kind: 'warn', message: text });

async function open(init: ReaderInit): Promise<Warehouse> {
  if (init.driver === 'duckdb') return new DuckDbWarehouse({ ...init.options, warn });
  // In process here: this is the reader.
  return createWarehouse({ ...init.settings, WAREHOUSE_READER: 'in-process' }, createSecretStore(init.settings), 'reader', { warn });
}

process.on('message', (message: Request | { kind: 'init'; init: ReaderInit }) => {
  if (message.kind === 'init') {
    open(message.init).then(
      (opened) => {
        warehouse = opened;
        send({ kind: 'ready' });
      },
      (error: unknown) => send({ kind: 'failed', error: toWire(error) }),
    );
    return;
  }
  answer(message).then(
    (value) => send({ id: message.id, ok: true, value }),
    (error: unknown) => send({ id: message.id, ok: false, error: toWire(error) }),
  );
});

// The parent closed the channel (it closed this reader, or it is gone): close every DuckDB, then go.
process.on('disconnect', () => {
  const closing = warehouse ? warehouse.close() : Promise.resolve();
  void closing.finally(() => process.exit(0));
});
