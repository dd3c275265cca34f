import { Body, Controller, Get, Inject, Logger, Param, Post, Query, Req, Res } from '@nestjs/common';
import { OIDC_STATE_TTL_SECONDS, OidcService } from '@kineo/auth';
import type { Settings } from '@kineo/config';
import { isDomainError } from '@kineo/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../engine/auth/auth.decorators';
import { cookieOf, servedOverHttps } from '../../engine/auth/cookie.util';
import { SETTINGS } from '../../engine/config/settings.module';

const STATE_COOKIE = 'kineo_oidc';

/** What the portal's callback page may be told when a sign-in fails: a code (and for FORBIDDEN, why); it words them itself. */
const FRAGMENT_CODES = new Set(['OIDC_FAILED', 'OIDC_NOT_CONFIGURED', 'OIDC_UNAVAILABLE', 'FORBIDDEN', 'TENANT_SUSPENDED']);
const FORBIDDEN_REASONS = new Set(['not_a_member', 'domain_not_allowed']);

/**
 * Microsoft Entra ID sign-in as a browser redirect flow, for the portal: the portal's
 * /api/session/microsoft sends the browser to `start?nonce=<n>` (n also in a cookie of the portal's),
 * which sends it to the tenant's Entra ID; `callback` takes it back, checks the answer and the member
 * and lands on `<PORTAL_URL>/auth/callback#code=…` with no token: an encrypted, minute-long code. The
 * portal's server redeems it at `complete` with n from its cookie, and only then is a session opened.
 * A link with someone else's code cannot sign another browser in. A failure lands on `#error=<code>`
 * only; the detail is logged here.
 */
@Controller('auth/oidc')
export class OidcController {
  private readonly logger = new Logger('OidcController');

  constructor(
    private readonly oidc: OidcService,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  @Get(':tenant/start')
  @Public()
  async start(
    @Param('tenant') tenant: string,
    @Query('nonce') nonce: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    try {
      const started = await this.oidc.start(tenant, this.redirectUri(request, tenant), typeof nonce === 'string' ? nonce : undefined);
      const cookie = `${STATE_COOKIE}=${started.stateCookie}; Path=/auth/oidc/; Max-Age=${OIDC_STATE_TTL_SECONDS}; HttpOnly; SameSite=Lax${this.secure(request) ? '; Secure' : ''}`;
      await reply.status(302).header('set-cookie', cookie).header('location', started.url).send();
    } catch (error) {
      await this.fail(reply, error);
    }
  }

  @Get(':tenant/callback')
  @Public()
  async callback(
    @Param('tenant') tenant: string,
    @Query() query: Record<string, string | undefined>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const clear = `${STATE_COOKIE}=; Path=/auth/oidc/; Max-Age=0; HttpOnly; SameSite=Lax`;
    try {
      const userAgent = request.headers['user-agent'];
      const code = await this.oidc.finish(
        tenant,
        { code: query.code, state: query.state, error: query.error, errorDescription: query.error_description },
        cookieOf(request, STATE_COOKIE),
        this.redirectUri(request, tenant),
        { ip: request.ip, ...(userAgent ? { userAgent } : {}) },
      );
      const fragment = new URLSearchParams({ code });
      await reply.status(302).header('set-cookie', clear).header('location', `${this.portal()}/auth/callback#${fragment.toString()}`).send();
    } catch (error) {
      reply.header('set-cookie', clear);
      await this.fail(reply, error);
    }
  }

  /** The portal's server redeems a finished sign-in's code with the nonce from its cookie: the session, or why not. */
  @Post('complete')
  @Public()
  async complete(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { code, nonce } = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; nonce?: unknown };
    if (typeof code !== 'string' || typeof nonce !== 'string' || code.length > 4096 || nonce.length > 256) {
      await reply.status(400).header('cache-control', 'no-store').send({ code: 'BAD_REQUEST', message: 'Send the sign-in code and nonce as text.' });
      return;
    }
    try {
      const userAgent = request.headers['user-agent'];
      const session = await this.oidc.complete(code, nonce, { ip: request.ip, ...(userAgent ? { userAgent } : {}) });
      await reply
        .status(200)
        .header('cache-control', 'no-store')
        .send({ token: session.token, expiresAt: session.expiresAt.toISOString(), role: session.role, tenant: session.tenant?.slug ?? null });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      this.logger.warn(`Microsoft sign-in not completed (${error.code}): ${error.message}`);
      const code = error.details.reason === 'not_started_here' ? 'SIGN_IN_NOT_STARTED_HERE' : error.code;
      await reply.status(error.code === 'FORBIDDEN' ? 403 : 400).header('cache-control', 'no-store').send({ code, message: error.message });
    }
  }

  private async fail(reply: FastifyReply, error: unknown): Promise<void> {
    const known = isDomainError(error);
    if (!known) this.logger.error(`Microsoft sign-in failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    else this.logger.warn(`Microsoft sign-in refused (${error.code}): ${error.message}`);
    // Anyone can start a sign-in: the answer names only what went wrong, never the detail (an address
    // the gateway fetched, what it answered). The portal has its own words for each code.
    const code = known && FRAGMENT_CODES.has(error.code) ? error.code : 'INTERNAL';
    const reason = known && code === 'FORBIDDEN' ? error.details.reason : undefined;
    const fragment = new URLSearchParams({ error: code, ...(typeof reason === 'string' && FORBIDDEN_REASONS.has(reason) ? { reason } : {}) });
    await reply.status(302).header('location', `${this.portal()}/auth/callback#${fragment.toString()}`).send();
  }

  private portal(): string {
    return this.settings.PORTAL_URL.replace(/\/+$/, '');
  }

  private secure(request: FastifyRequest): boolean {
    return servedOverHttps(this.settings, request);
  }

  /** Must be exactly the redirect URI registered in Entra ID, at start and at the code exchange. */
  private redirectUri(request: FastifyRequest, tenant: string): string {
    const base = (this.settings.GATEWAY_PUBLIC_URL ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
    return `${base}/auth/oidc/${encodeURIComponent(tenant)}/callback`;
  }
}
