export { startTracing, type Tracing, type TracingSettings } from './tracing';
export { ATTR, isTracing, traceFields, withSpan, withSpanSync, spanOf, activeWithin, type SpanAttributes } from './spans';
