import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { requestOf } from '../../engine/auth/request-auth.util';
import type { Prefetched } from '../../engine/cache/result-cache.service';

/** Cache reads a guard sent for a request before its session was confirmed, until its resolver runs. */
const prefetchedReads = new WeakMap<FastifyRequest, Prefetched>();

export function keepPrefetched(request: FastifyRequest, reads: Prefetched | undefined): void {
  if (reads && reads.size > 0) prefetchedReads.set(request, reads);
}

/** The request's prefetched cache reads, if a guard sent any (see AnalyticsRateLimitGuard). */
export const PrefetchedReads = createParamDecorator((_data: unknown, context: ExecutionContext): Prefetched | undefined => prefetchedReads.get(requestOf(context)));
