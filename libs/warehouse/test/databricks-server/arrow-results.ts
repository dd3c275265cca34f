import { createRequire } from 'node:module';
import {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalType,
  DuckDBDecimalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type * as ArrowModule from 'apache-arrow';
import { TypeId } from './thrift-runtime';

// The Arrow copy the driver itself reads with, so what the server writes is what it parses.
const arrow = createRequire(require.resolve('@databricks/sql'))('apache-arrow') as typeof ArrowModule;

type ArrowData = ArrowModule.Data;

/**
 * How one DuckDB result column goes over the wire: its TCLIService type (what the driver converts
 * by) and its Arrow type (native types, as a SQL warehouse sends with `useArrowNativeTypes`).
 */
export interface ColumnCodec {
  name: string;
  typeId: number;
  decimal?: { precision: number; scale: number };
  field: ArrowModule.Field;
  encode(values: readonly DuckDBValue[]): ArrowData;
}

function validity(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null || v === undefined) nullCount++;
    else nullBitmap[i >> 3] |= 1 << (i & 7);
  });
  return { nullBitmap, nullCount };
}

function fixed<T extends ArrowModule.DataType>(type: T, values: readonly unknown[], data: ArrayLike<unknown>): ArrowData {
  const make = arrow.makeData as unknown as (props: object) => ArrowData;
  return make({ type, length: values.length, ...validity(values), data });
}

function built(type: ArrowModule.DataType, values: readonly unknown[]): ArrowData {
  const builder = arrow.makeBuilder({ type, nullValues: [null, undefined] });
  for (const value of values) builder.append(value as never);
  builder.finish();
  return builder.flush() as ArrowData;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function toBigInt(value: DuckDBValue): bigint {
  const n = typeof value === 'bigint' ? value : BigInt(value as number);
  if (n < INT64_MIN || n > INT64_MAX) throw new Error('[ARITHMETIC_OVERFLOW] A value does not fit in BIGINT. SQLSTATE: 22003');
  return n;
}

function micros(value: DuckDBValue): bigint {
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return value.micros;
  if (value instanceof DuckDBTimestampMillisecondsValue) return value.millis * 1000n;
  if (value instanceof DuckDBTimestampSecondsValue) return value.seconds * 1_000_000n;
  if (value instanceof DuckDBTimestampNanosecondsValue) return value.nanos / 1000n;
  throw new Error(`not a timestamp: ${String(value)}`);
}

function decimalWords(values: readonly DuckDBValue[]): Uint32Array {
  const words = new Uint32Array(values.length * 4);
  values.forEach((value, i) => {
    if (!(value instanceof DuckDBDecimalValue)) return;
    let unsigned = BigInt.asUintN(128, value.value);
    for (let k = 0; k < 4; k++) {
      words[i * 4 + k] = Number(unsigned & 0xffffffffn);
      unsigned >>= 32n;
    }
  });
  return words;
}

export function columnCodec(name: string, type: DuckDBType): ColumnCodec {
  const field = (t: ArrowModule.DataType) => new arrow.Field(name, t, true);
  const ints = (typeId: number, t: ArrowModule.DataType, Array_: { from(values: number[]): ArrayLike<number> }): ColumnCodec => ({
    name,
    typeId,
    field: field(t),
    encode: (values) => fixed(t, values, Array_.from(values.map((v) => (v === null ? 0 : Number(v))))),
  });
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN: {
      const t = new arrow.Bool();
      return { name, typeId: TypeId.BOOLEAN, field: field(t), encode: (values) => built(t, values) };
    }
    case DuckDBTypeId.TINYINT:
      return ints(TypeId.TINYINT, new arrow.Int8(), Int8Array);
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return ints(TypeId.SMALLINT, new arrow.Int16(), Int16Array);
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return ints(TypeId.INT, new arrow.Int32(), Int32Array);
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT: {
      // Databricks has no 128-bit integer: sum(bigint) is a bigint there.
      const t = new arrow.Int64();
      return { name, typeId: TypeId.BIGINT, field: field(t), encode: (values) => fixed(t, values, BigInt64Array.from(values, (v) => (v === null ? 0n : toBigInt(v)))) };
    }
    case DuckDBTypeId.FLOAT: {
      const t = new arrow.Float32();
      return { name, typeId: TypeId.FLOAT, field: field(t), encode: (values) => fixed(t, values, Float32Array.from(values, (v) => (v === null ? 0 : Number(v)))) };
    }
    case DuckDBTypeId.DOUBLE: {
      const t = new arrow.Float64();
      return { name, typeId: TypeId.DOUBLE, field: field(t), encode: (values) => fixed(t, values, Float64Array.from(values, (v) => (v === null ? 0 : Number(v)))) };
    }
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = type as DuckDBDecimalType;
      const t = new arrow.Decimal(scale, width, 128);
      return { name, typeId: TypeId.DECIMAL, decimal: { precision: width, scale }, field: field(t), encode: (values) => fixed(t, values, decimalWords(values)) };
    }
    case DuckDBTypeId.DATE: {
      const t = new arrow.DateDay();
      return {
        name,
        typeId: TypeId.DATE,
        field: field(t),
        encode: (values) => fixed(t, values, Int32Array.from(values, (v) => (v instanceof DuckDBDateValue ? v.days : 0))),
      };
    }
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS: {
      const t = new arrow.TimestampMicrosecond('Etc/UTC');
      return { name, typeId: TypeId.TIMESTAMP, field: field(t), encode: (values) => fixed(t, values, BigInt64Array.from(values, (v) => (v === null ? 0n : micros(v)))) };
    }
    case DuckDBTypeId.BLOB: {
      const t = new arrow.Binary();
      return { name, typeId: TypeId.BINARY, field: field(t), encode: (values) => built(t, values.map((v) => (v instanceof DuckDBBlobValue ? v.bytes : null))) };
    }
    default: {
      const t = new arrow.Utf8();
      return { name, typeId: TypeId.STRING, field: field(t), encode: (values) => built(t, values.map((v) => (v === null ? null : String(v)))) };
    }
  }
}

/** The Thrift `TTableSchema` for the codecs. */
export function tableSchema(codecs: ColumnCodec[]): object {
  return {
    columns: codecs.map((codec, i) => ({
      columnName: codec.name,
      position: i + 1,
      typeDesc: {
        types: [
          {
            primitiveEntry: {
              type: codec.typeId,
              typeQualifiers: codec.decimal
                ? { qualifiers: { precision: { i32Value: codec.decimal.precision }, scale: { i32Value: codec.decimal.scale } } }
                : undefined,
            },
          },
        ],
      },
    })),
  };
}

const END_OF_STREAM_BYTES = 8;

/** The IPC schema message alone: the driver puts it in front of every batch it reads. */
export function arrowSchemaBytes(codecs: ColumnCodec[]): Buffer {
  const schema = new arrow.Schema(codecs.map((c) => c.field));
  const stream = arrow.tableToIPC(new arrow.Table(schema), 'stream');
  return Buffer.from(stream.subarray(0, stream.length - END_OF_STREAM_BYTES));
}

/** One IPC record-batch message with rows [from, to) of the column-major values. */
export function arrowBatchBytes(codecs: ColumnCodec[], columns: DuckDBValue[][], from: number, to: number): Buffer {
  const schema = new arrow.Schema(codecs.map((c) => c.field));
  const children = codecs.map((codec, i) => codec.encode(columns[i].slice(from, to)));
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: to - from, nullCount: 0, children });
  const stream = arrow.tableToIPC(new arrow.Table([new arrow.RecordBatch(schema, data)]), 'stream');
  const schemaLength = arrowSchemaBytes(codecs).length;
  return Buffer.from(stream.subarray(schemaLength, stream.length - END_OF_STREAM_BYTES));
}
