export { startTracing, type Tracing, type TracingSettings } from './tracing';
export { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
export { ATTR, activeWithin, callerContext, isTracing, markFailed, spanOf, traceFields, withSpan, type SpanAttributes } from './spans';
