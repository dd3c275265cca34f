import type { ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Principal, SessionClaims, TenantContext } from '@kineo/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** What the session hook learnt from the request's Authorization header. */
export interface RequestAuth {
  principal?: Principal;
  /** Why the header was refused; thrown by the guards, ignored by public operations. */
  error?: Error;
  /** The token's claims (its signature checked): who the caller says they are, before Postgres confirmed it. */
  claims?: SessionClaims;
  /**
   * Set while the Postgres check is still running (GraphQL requests only): the guards await it
   * (`authSettled`), and until it settles neither `principal` nor `error` is set.
   */
  pending?: Promise<void>;
  /**
   * The tenant context this session had the last time this process checked it, if it passed: what
   * a request may speculate on (Redis reads) while Postgres checks it again. Never data to release.
   */
  expected?: TenantContext;
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

/** Waits for the request's session check, if one is still running; `principal` or `error` is set after. */
export async function authSettled(request: FastifyRequest): Promise<RequestAuth | null> {
  const pending = request.kineoAuth?.pending;
  if (pending) await pending;
  return request.kineoAuth;
}
