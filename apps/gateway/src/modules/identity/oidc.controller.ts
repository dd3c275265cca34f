import { Controller, Get, Inject, Logger, Param, Query, Req, Res } from '@nestjs/common';
import { OIDC_STATE_TTL_SECONDS, OidcService } from '@kineo/auth';
import type { Settings } from '@kineo/config';
import { isDomainError } from '@kineo/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../engine/auth/auth.decorators';
import { cookieOf, servedOverHttps } from '../../engine/auth/cookie.util';
import { SETTINGS } from '../../engine/config/settings.module';

const STATE_COOKIE = 'kineo_oidc';

/**
 * Microsoft Entra ID sign-in as a browser redirect flow, for the portal: `start` sends the browser to
 * the tenant's Entra ID, `callback` takes it back, signs the member in and lands on
 * `<PORTAL_URL>/auth/callback#token=…&refreshToken=…` (a fragment, so tokens stay out of server
 * logs), or `#error=<code>&message=…` when it fails.
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
  async start(@Param('tenant') tenant: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      const started = await this.oidc.start(tenant, this.redirectUri(request, tenant));
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
      const session = await this.oidc.finish(
        tenant,
        { code: query.code, state: query.state, error: query.error, errorDescription: query.error_description },
        cookieOf(request, STATE_COOKIE),
        this.redirectUri(request, tenant),
        { ip: request.ip, ...(userAgent ? { userAgent } : {}) },
      );
      const fragment = new URLSearchParams({
        token: session.token,
        expiresAt: session.expiresAt.toISOString(),
        refreshToken: session.refreshToken,
        refreshExpiresAt: session.refreshExpiresAt.toISOString(),
        tenant: session.tenant?.slug ?? '',
        role: session.role,
      });
      await reply.status(302).header('set-cookie', clear).header('location', `${this.portal()}/auth/callback#${fragment.toString()}`).send();
    } catch (error) {
      reply.header('set-cookie', clear);
      await this.fail(reply, error);
    }
  }

  private async fail(reply: FastifyReply, error: unknown): Promise<void> {
    const known = isDomainError(error);
    if (!known) this.logger.error(`Microsoft sign-in failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    else this.logger.warn(`Microsoft sign-in refused (${error.code}): ${error.message}`);
    const fragment = new URLSearchParams(
      known
        ? { error: error.code, message: error.message }
        : { error: 'INTERNAL', message: 'Microsoft sign-in failed on our side; try again, or sign in with your password.' },
    );
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
