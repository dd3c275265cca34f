import { createRequire } from 'node:module';

/**
 * The Thrift runtime and the TCLIService code generated for `@databricks/sql`. Neither ships
 * usable TypeScript types, so the few shapes the server touches are declared here.
 */
const load = createRequire(__filename);

export interface ThriftMessageHeader {
  fname: string;
  mtype: number;
  rseqid: number;
}

export interface ThriftProtocol {
  readMessageBegin(): ThriftMessageHeader;
}

export interface ReceivedTransport {
  commitPosition(): void;
  rollbackPosition(): void;
}

interface TransportClass {
  new (buffer: Buffer | undefined, onFlush: (message: Buffer) => void): unknown;
  receiver(callback: (transport: ReceivedTransport) => void, seqid?: number): (data: Buffer) => void;
}

interface ThriftRuntime {
  TBufferedTransport: TransportClass;
  TBinaryProtocol: new (transport: unknown) => ThriftProtocol;
}

export interface Int64Like {
  toNumber(allowImprecise?: boolean): number;
}

const thrift = load('thrift') as ThriftRuntime;
export const TBufferedTransport = thrift.TBufferedTransport;
export const TBinaryProtocol = thrift.TBinaryProtocol;
export const Processor = (load('@databricks/sql/thrift/TCLIService') as { Processor: new (handler: object) => { process(input: ThriftProtocol, output: ThriftProtocol): void } })
  .Processor;

/** TCLIService enum values (protocol constants). */
export const StatusCode = { SUCCESS: 0, ERROR: 3, INVALID_HANDLE: 4 } as const;
export const OperationState = { RUNNING: 1, FINISHED: 2, CANCELED: 3, CLOSED: 4, ERROR: 5, TIMEDOUT: 8 } as const;
export const RowSetType = { ARROW_BASED_SET: 0 } as const;
export const OperationType = { EXECUTE_STATEMENT: 0 } as const;
export const PROTOCOL_V8 = 0xa508;
export const TypeId = {
  BOOLEAN: 0,
  TINYINT: 1,
  SMALLINT: 2,
  INT: 3,
  BIGINT: 4,
  FLOAT: 5,
  DOUBLE: 6,
  STRING: 7,
  TIMESTAMP: 8,
  BINARY: 9,
  MAP: 11,
  DECIMAL: 15,
  DATE: 17,
} as const;

export interface HandleIdentifier {
  guid: Buffer;
  secret: Buffer;
}

export interface SparkParameter {
  ordinal?: number | null;
  name?: string | null;
  type?: string | null;
  value?: { stringValue?: string | null; doubleValue?: number | null; booleanValue?: boolean | null } | null;
}

export function int64(value: Int64Like | number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'number' ? value : value.toNumber(true);
}

/** The name of the TCLIService method a request body calls, without consuming it. */
export function thriftMethodName(body: Buffer): string | undefined {
  let name: string | undefined;
  try {
    TBufferedTransport.receiver((transport) => {
      name = new TBinaryProtocol(transport).readMessageBegin().fname;
    })(Buffer.from(body));
  } catch {
    return undefined;
  }
  return name;
}
