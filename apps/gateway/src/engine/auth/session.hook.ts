import { Injectable } from '@nestjs/common';
import { AuthError, AuthService } from '@kineo/auth';
import type { FastifyInstance } from 'fastify';

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/;

/**
 * Verifies `Authorization: Bearer <token>` once per request, before any route runs, and hydrates
 * the request with the principal (or the reason it was refused). Guards decide what to do with it,
 * so public operations such as `login` still work with a stale token in the header.
 */
@Injectable()
export class SessionHook {
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
      try {
        request.kineoAuth = { principal: await this.auth.verify(token) };
      } catch (error) {
        request.kineoAuth = { error: error instanceof Error ? error : new Error(String(error)) };
      }
    });
  }
}
