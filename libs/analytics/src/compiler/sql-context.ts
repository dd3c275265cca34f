import type { Dialect, SqlParam } from '@kineo/warehouse';
import { AnalyticsQueryError } from '../analytics-query.error';
import type { CompileOptions } from '../analytics.types';
import type { SqlContext } from '../model';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/;

/** 'YYYY-MM-DD' (or an ISO date-time: its UTC day) as a Date at 00:00 UTC, or undefined when it is not a real day. */
export function parseIsoDay(value: string): Date | undefined {
  const m = ISO_DATE.exec(value);
  if (!m) return undefined;
  const day = value.length > 10 ? new Date(value) : new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (Number.isNaN(day.getTime())) return undefined;
  const utc = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  // Date.UTC rolls 2025-02-30 over into March: a day that rolled is not a day.
  if (value.length === 10 && utc.toISOString().slice(0, 10) !== value) return undefined;
  return utc;
}

/** The gold date key (yyyymmdd) of a UTC day. */
export function dateKeyOf(day: Date): number {
  return day.getUTCFullYear() * 10000 + (day.getUTCMonth() + 1) * 100 + day.getUTCDate();
}

/**
 * Collects one SQL fragment's parameters. A statement is assembled from fragments in the order
 * they appear in its text, so the positional parameters line up whatever order they were rendered in.
 */
export class ParamSink implements SqlContext {
  readonly params: SqlParam[] = [];

  constructor(private readonly env: CompileEnv) {}

  param(value: SqlParam): string {
    const inline = this.env.inline;
    if (inline) {
      // Only model-given values reach a statement compiled inline (a rollup's build): never a caller's.
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      if (typeof value === 'string') return inline.literal(value);
      throw new Error(`A rollup's build statement cannot hold ${typeof value} ${String(value)} inline.`);
    }
    this.params.push(value);
    return '?';
  }

  asOfKey(days = 0): string {
    this.env.onAsOf?.();
    const day = new Date(this.env.asOf.getTime() + days * 86_400_000);
    return this.param(dateKeyOf(day));
  }

  gold(table: string): string {
    return this.env.gold(table);
  }
}

export interface CompileEnv {
  asOf: Date;
  gold: (table: string) => string;
  /** Values written into the SQL as this dialect's literals instead of bound (DDL cannot bind parameters everywhere). */
  inline?: Dialect;
  /** Told whenever SQL reads the build's as_of, so a rollup knows its figures hold only for that day. */
  onAsOf?: () => void;
}

export function compileEnv(options: CompileOptions): CompileEnv {
  const asOf = typeof options?.asOf === 'string' ? parseIsoDay(options.asOf) : undefined;
  if (!asOf) {
    throw new AnalyticsQueryError('INVALID_OPTIONS', `asOf must be the ISO date of the build ('YYYY-MM-DD'), got ${JSON.stringify(options?.asOf)}.`);
  }
  return { asOf, gold: options.gold ?? ((table) => `gold.${table}`) };
}

/** A piece of SQL with the parameters it binds, in order. */
export interface Fragment {
  sql: string;
  params: SqlParam[];
}

export function fragment(env: CompileEnv, render: (c: ParamSink) => string): Fragment {
  const sink = new ParamSink(env);
  const sql = render(sink);
  return { sql, params: sink.params };
}
