import { Injectable } from '@nestjs/common';
import { AuthError, AuthService, type Principal, type SessionClaims, type TenantContext } from '@kineo/auth';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GRAPHQL_PATH } from '../graphql/graphql.module';

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/;

/**
 * Sessions remembered with the tenant context their last check gave (10,000 at most, oldest out):
 * a hint for speculative Redis reads only. A session that fails a check is forgotten at once.
 */
const EXPECTED_SESSIONS_MAX = 10_000;

/**
 * Verifies `Authorization: Bearer <token>` once per request, before any route runs, and hydrates
 * the request with the principal (or the reason it was refused). Guards decide what to do with it,
 * so public operations such as `login` still work with a stale token in the header.
 *
 * The token's signature is checked here, locally. Its check in Postgres (session, user, membership,
 * tenant: one round trip) is awaited here for every route but GraphQL; for GraphQL it runs while the
 * body is parsed and the operation validated, and every guard awaits it (`authSettled`), so the
 * analytics guard can send its Redis work in the same moment (see AnalyticsRateLimitGuard).
 */
@Injectable()
export class SessionHook {
  private readonly expected = new Map<string, TenantContext>();

  constructor(private readonly auth: AuthService) {}

  install(fastify: FastifyInstance): void {
    fastify.decorateRequest('kineoAuth', null);
    fastify.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      if (header === undefined) return;
      const token = BEARER.exec(header)?.[1];
      if (!token) {
        request.kineoAuth = { error: new AuthError('UNAUTHENTICATED', 'Send the session token as "Authorization: Bearer <token>".') };
        return;
      }
      let claims: SessionClaims;
      try {
        claims = await this.auth.claimsOf(token);
      } catch (error) {
        request.kineoAuth = { error: asError(error) };
        return;
      }
      const pending = this.check(request, claims);
      if (request.routeOptions.url !== GRAPHQL_PATH) {
        await pending;
        return;
      }
      request.kineoAuth = { claims, pending, expected: this.expectedFor(claims) };
    });
  }

  /** Settles `request.kineoAuth` to the principal or the refusal; never rejects. */
  private async check(request: FastifyRequest, claims: SessionClaims): Promise<void> {
    try {
      const principal = await this.auth.check(claims);
      this.remember(claims, principal);
      request.kineoAuth = { claims, principal };
    } catch (error) {
      if (claims.sessionId) this.expected.delete(claims.sessionId);
      request.kineoAuth = { claims, error: asError(error) };
    }
  }

  /** The context a request may speculate on: only what this very session passed with, for the tenant and user it claims. */
  private expectedFor(claims: SessionClaims): TenantContext | undefined {
    const known = claims.sessionId ? this.expected.get(claims.sessionId) : undefined;
    return known && known.tenantId === claims.tenantId && known.userId === claims.userId ? known : undefined;
  }

  private remember(claims: SessionClaims, principal: Principal): void {
    if (!claims.sessionId || !principal.context) return;
    this.expected.delete(claims.sessionId);
    if (this.expected.size >= EXPECTED_SESSIONS_MAX) this.expected.delete(this.expected.keys().next().value!);
    this.expected.set(claims.sessionId, principal.context);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
