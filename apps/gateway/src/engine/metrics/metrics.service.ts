import fs from 'node:fs';
import { Injectable } from '@nestjs/common';
import type { ReaderEvent } from '@kineo/warehouse';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Requests Fastify matched to no route (404s), so arbitrary URLs cannot blow up label cardinality. */
export const UNMATCHED_ROUTE = 'unmatched';

type HttpLabel = 'method' | 'route' | 'status_code';

/**
 * What the analytics result cache did for one query: a hit, a miss it filled, a query answered by
 * an identical one already running (shared), or answered uncached because Redis failed (unavailable).
 */
export type CacheOutcome = 'hit' | 'miss' | 'shared' | 'unavailable';

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

  private readonly cache = new Counter<'outcome'>({
    name: 'analytics_cache_requests_total',
    help: 'Analytics queries by what the result cache did: hit, miss, shared (joined an identical running query), unavailable (Redis failed; answered uncached).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  private readonly warehouseQueries = new Histogram<'outcome'>({
    name: 'analytics_warehouse_query_duration_seconds',
    help: 'Time the warehouse took for an analytics query the cache could not answer, by outcome (ok, timeout, error).',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly readerStops = new Counter<'reason'>({
    name: 'warehouse_reader_stops_total',
    help: 'Times the warehouse reader process (WAREHOUSE_READER=child-process) stopped, by reason: crashed (it died; its requests in flight were refused), stuck (killed for not answering within a statement\'s time limit and a grace), failed (could not open its warehouse), idle, closed.',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  /** The running reader process, if any (WAREHOUSE_READER=child-process). */
  private readerPid?: number;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const readerPid = () => this.readerPid;
    new Gauge({
      name: 'warehouse_reader_resident_memory_bytes',
      help: 'Resident memory of the warehouse reader process (WAREHOUSE_READER=child-process), 0 when none runs; process_resident_memory_bytes is the gateway\'s own.',
      registers: [this.registry],
      collect() {
        this.set(residentBytes(readerPid()));
      },
    });
  }

  /** Counts the reader process's stops and follows which one runs. */
  readerEvent(event: ReaderEvent): void {
    if (event.kind === 'started') {
      this.readerPid = event.pid;
      return;
    }
    if (this.readerPid === event.pid) this.readerPid = undefined;
    this.readerStops.inc({ reason: event.reason });
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

  countCache(outcome: CacheOutcome): void {
    this.cache.inc({ outcome });
  }

  observeWarehouseQuery(outcome: 'ok' | 'timeout' | 'error', seconds: number): void {
    this.warehouseQueries.observe({ outcome }, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** A process's VmRSS from /proc (Linux), 0 when it is not running or cannot be read. */
function residentBytes(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}
