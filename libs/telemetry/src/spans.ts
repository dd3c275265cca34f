import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';

/**
 * The attribute names every process uses. Only identifiers and counts go on spans: tenants by
 * namespace, data versions, job names and ids, never learner data and never SQL or its values.
 */
export const ATTR = {
  tenant: 'kineo.tenant',
  tenantId: 'kineo.tenant_id',
  dataVersion: 'kineo.data_version',
  job: 'kineo.job.name',
  jobId: 'kineo.job.id',
  jobQueue: 'kineo.job.queue',
  jobAttempt: 'kineo.job.attempt',
  stage: 'kineo.stage',
  model: 'kineo.model',
  rows: 'kineo.rows',
  command: 'kineo.command',
} as const;

export type SpanAttributes = Attributes;

const TRACER = 'kineo';

let enabled = false;

/** Set by startTracing; while false every helper here runs its function and nothing else. */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

/** Whether this process records spans (OTEL_EXPORTER_OTLP_ENDPOINT was set). */
export function isTracing(): boolean {
  return enabled;
}

/**
 * Runs `fn` inside a new span, the child of the active one, ending it when `fn` settles and marking
 * it failed (with the error's class and code, not its message, which may quote data) when it throws.
 */
export async function withSpan<T>(
  name: string,
  attributes: SpanAttributes,
  fn: (span: Span | undefined) => Promise<T>,
  options: { kind?: SpanKind; parent?: Context } = {},
): Promise<T> {
  if (!enabled) return fn(undefined);
  const parent = options.parent ?? context.active();
  return trace.getTracer(TRACER).startActiveSpan(name, { attributes, kind: options.kind ?? SpanKind.INTERNAL }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * A span started now and ended by the caller (an HTTP request, whose end is another hook), or
 * undefined while tracing is off.
 */
export function spanOf(name: string, attributes: SpanAttributes, options: { kind?: SpanKind; parent?: Context } = {}): Span | undefined {
  if (!enabled) return undefined;
  return trace.getTracer(TRACER).startSpan(name, { attributes, kind: options.kind ?? SpanKind.INTERNAL }, options.parent ?? context.active());
}

/** Runs `fn` with `span` as the active span, so what it starts (and awaits) becomes its children. */
export function activeWithin<T>(span: Span | undefined, fn: () => T): T {
  if (!span) return fn();
  return context.with(trace.setSpan(context.active(), span), fn);
}

export function markFailed(span: Span, error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : undefined });
  span.setAttribute('error.type', typeof code === 'string' ? code : error instanceof Error ? error.constructor.name : 'Error');
}

/** `trace_id` and `span_id` of the active span, for a log line; nothing when there is none. */
export function traceFields(span: Span | undefined = trace.getSpan(context.active())): { trace_id?: string; span_id?: string } {
  if (!enabled || !span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** The context a caller's W3C `traceparent` header names, to continue its trace (a fresh one without it). */
export function callerContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}
