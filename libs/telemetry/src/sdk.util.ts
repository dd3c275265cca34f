// Loaded only when tracing is on, so a process without OTEL_EXPORTER_OTLP_ENDPOINT never loads the SDK.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';

export function registerProvider(options: { url: string; headers: Record<string, string>; ratio: number; serviceName: string }): TracerProvider {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.namespace': 'kineo' }),
    // A caller's decision (its traceparent) wins, so a trace is kept or dropped whole across processes.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.ratio) }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: options.url, headers: options.headers }) })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return provider;
}

export async function unregisterProvider(provider: TracerProvider): Promise<void> {
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
}
