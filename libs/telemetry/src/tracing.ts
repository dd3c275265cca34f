import type { Settings } from '@kineo/config';
import { setTracingEnabled } from './spans';
import type * as Sdk from './sdk.util';

export type TracingSettings = Pick<Settings, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_HEADERS' | 'OTEL_TRACES_SAMPLER_RATIO'>;

export interface Tracing {
  /** Sends what is buffered now (a CLI command before it exits; a test). */
  flush(): Promise<void>;
  /** Lets go of this process's tracing; the last holder flushes and shuts the exporter down. */
  release(): Promise<void>;
}

const OFF: Tracing = { flush: async () => {}, release: async () => {} };

interface Registered {
  provider: ReturnType<typeof Sdk.registerProvider>;
  holders: number;
}

// One tracer provider per process (the OpenTelemetry API keeps one global); a test that starts
// two gateways in one process shares it, and it shuts down with the last.
let registered: Registered | undefined;

/**
 * Starts exporting spans over OTLP/HTTP (JSON) to OTEL_EXPORTER_OTLP_ENDPOINT. Without that
 * setting nothing is loaded and every span helper stays a plain function call.
 */
export function startTracing(settings: TracingSettings, serviceName: string): Tracing {
  const endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return OFF;
  registered ??= {
    provider: loadSdk().registerProvider({
      url: `${endpoint}/v1/traces`,
      headers: parseHeaders(settings.OTEL_EXPORTER_OTLP_HEADERS),
      ratio: settings.OTEL_TRACES_SAMPLER_RATIO,
      serviceName,
    }),
    holders: 0,
  };
  const current = registered;
  current.holders++;
  setTracingEnabled(true);
  let released = false;
  return {
    flush: () => current.provider.forceFlush(),
    release: async () => {
      if (released) return;
      released = true;
      if (--current.holders > 0) return;
      setTracingEnabled(false);
      registered = undefined;
      await loadSdk().unregisterProvider(current.provider);
    },
  };
}

/** `a=1, b = 2` → { a: '1', b: '2' } (libs/config has checked the shape). */
export function parseHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) headers[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}

/** The SDK, required on first use only (a static import would load it into every process). */
function loadSdk(): typeof Sdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./sdk.util') as typeof Sdk;
}
