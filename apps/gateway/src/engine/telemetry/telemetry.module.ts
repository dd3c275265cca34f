import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { Tracing } from '@kineo/telemetry';
import { ResolverSpanInterceptor } from './resolver-span.interceptor';

export const TRACING = Symbol('TRACING');

/** Holds the process's tracing for the gateway's lifetime and lets go of it when the gateway closes. */
class TracingLifetime implements OnApplicationShutdown {
  constructor(@Inject(TRACING) private readonly tracing: Tracing) {}

  async onApplicationShutdown(): Promise<void> {
    await this.tracing.release();
  }
}

/** Resolver spans (when tracing is on) and the tracing's lifetime; request spans are a Fastify hook (app.ts). */
@Module({})
export class TelemetryModule {
  static forRoot(tracing: Tracing, enabled: boolean): DynamicModule {
    return {
      module: TelemetryModule,
      providers: [
        { provide: TRACING, useValue: tracing },
        TracingLifetime,
        ...(enabled ? [{ provide: APP_INTERCEPTOR, useClass: ResolverSpanInterceptor }] : []),
      ],
      exports: [TRACING],
    };
  }
}
