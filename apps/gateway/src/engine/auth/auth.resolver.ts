import { DomainError } from '@kineo/errors';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AuthService, parseLoginInput, type LoginOrigin, type LoginResult, type Principal } from '@kineo/auth';
import { DEFAULT_LOCALE } from '@kineo/db';
import { CurrentPrincipal, Public, RequestOrigin, SignedIn } from './auth.decorators';
import { LoginThrottle } from './login-throttle.service';
import { Me, SessionPayload } from './auth.types';

@Resolver()
export class AuthResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly throttle: LoginThrottle,
  ) {}

  @Mutation(() => SessionPayload, {
    description: 'Signs in. Name the organisation when you belong to several; Kineo ops name none for a platform session.',
  })
  @Public()
  async login(
    @Args('email') email: string,
    @Args('password') password: string,
    @Args('tenant', { type: () => String, nullable: true, description: "The organisation's slug." }) tenant: string | null,
    @RequestOrigin() origin: LoginOrigin,
  ): Promise<SessionPayload> {
    // Bounded before anything else touches it: an anonymous caller chooses these strings.
    parseLoginInput({ email, password, tenant: tenant ?? undefined });
    // Counted before the password is checked, so parallel guesses cannot outrun the count.
    await this.throttle.attempt(email, origin.ip);
    const session = await this.auth.login(email, password, tenant ?? undefined, origin).catch(async (error: unknown) => {
      if (error instanceof DomainError && error.code === 'UNAUTHENTICATED') await this.throttle.failed(email, origin.ip);
      throw error;
    });
    await this.throttle.succeeded(email, origin.ip);
    return sessionPayload(session);
  }

  @Mutation(() => SessionPayload, {
    description:
      'Swaps a refresh token for a new session (a new access token and a new refresh token). A refresh token works once; presenting a used one again ends the whole sign-in.',
  })
  @Public()
  async refreshSession(@Args('refreshToken') refreshToken: string, @RequestOrigin() origin: LoginOrigin): Promise<SessionPayload> {
    return sessionPayload(await this.throttle.throttled('refresh', refreshToken, origin.ip, () => this.auth.refresh(refreshToken)));
  }

  @Mutation(() => Boolean, { description: "Signs out: this sign-in's access and refresh tokens stop working at once." })
  @SignedIn()
  async logout(@CurrentPrincipal() principal: Principal, @RequestOrigin() origin: LoginOrigin): Promise<boolean> {
    await this.auth.logout(principal, origin);
    return true;
  }

  @Query(() => Me, { description: 'Who is signed in.' })
  @SignedIn()
  me(@CurrentPrincipal() principal: Principal): Me {
    return {
      email: principal.email,
      displayName: principal.displayName,
      role: principal.role,
      tenant: principal.tenant,
      fiscalYearStartMonth: principal.tenant?.fiscalYearStartMonth ?? null,
      // Kineo ops read no tenant's data; the platform's own pages use the default.
      locale: principal.tenant?.locale ?? DEFAULT_LOCALE,
      sessionExpiresAt: principal.expiresAt,
    };
  }
}

/** What a sign-in hands back over GraphQL (never the internal ids). */
export function sessionPayload(session: LoginResult): SessionPayload {
  const { token, expiresAt, refreshToken, refreshExpiresAt, role, tenant } = session;
  return { token, expiresAt, refreshToken, refreshExpiresAt, role, tenant };
}
