import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Requests Fastify matched to no route (404s), so arbitrary URLs cannot blow up label cardinality. */
export const UNMATCHED_ROUTE = 'unmatched';

type HttpLabel = 'method' | 'route' | 'status_code';

/** The gateway's Prometheus registry: its own, so tests and embedders never share the global one. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly requests = new Counter<HttpLabel>({
    name: 'http_requests_total',
    help: 'HTTP requests served, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'],
    registers: [this.registry],
  });

  private readonly duration = new Histogram<HttpLabel>({
    name: 'http_request_duration_seconds',
    help: 'Time to serve an HTTP request, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts every request Fastify serves: Nest controllers, Mercurius and 404s alike. */
  instrument(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status_code: String(reply.statusCode),
      };
      this.requests.inc(labels);
      this.duration.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
