import type { ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Principal } from '@kineo/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** What the session hook learnt from the request's Authorization header. */
export interface RequestAuth {
  principal?: Principal;
  /** Why the header was refused; thrown by the guards, ignored by public operations. */
  error?: Error;
}

declare module 'fastify' {
  interface FastifyRequest {
    kineoAuth: RequestAuth | null;
  }
}

/** The Fastify request behind an HTTP handler or a GraphQL resolver. */
export function requestOf(context: ExecutionContext): FastifyRequest {
  if (context.getType<'http' | 'graphql'>() === 'graphql') {
    return GqlExecutionContext.create(context).getContext<{ reply: FastifyReply }>().reply.request;
  }
  return context.switchToHttp().getRequest<FastifyRequest>();
}
