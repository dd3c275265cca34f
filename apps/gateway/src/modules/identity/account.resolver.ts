import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { InvitationService, normalizeEmail, OidcService, PasswordResetService, type LoginOrigin } from '@kineo/auth';
import { Public, RequestOrigin } from '../../engine/auth/auth.decorators';
import { LoginThrottle } from '../../engine/auth/login-throttle.service';
import { sessionPayload } from '../../engine/auth/auth.resolver';
import { SessionPayload } from '../../engine/auth/auth.types';
import { SignInOptionsType } from './identity.types';

/** What people do before they have a session: accept an invitation, reset a password, see how to sign in. */
@Resolver()
export class AccountResolver {
  constructor(
    private readonly invitations: InvitationService,
    private readonly resets: PasswordResetService,
    private readonly oidc: OidcService,
    private readonly throttle: LoginThrottle,
  ) {}

  @Mutation(() => SessionPayload, {
    description:
      'Accepts an invitation with the token from its link and signs in. A new account takes the password given; an address that already has an account must give its current password.',
  })
  @Public()
  async acceptInvitation(
    @Args('token') token: string,
    @Args('password') password: string,
    @Args('displayName', { type: () => String, nullable: true }) displayName: string | null,
    @RequestOrigin() origin: LoginOrigin,
  ): Promise<SessionPayload> {
    return sessionPayload(await this.throttle.throttled('invitation', token, origin.ip, () => this.invitations.accept(token, password, displayName ?? undefined, origin)));
  }

  @Mutation(() => Boolean, {
    description: 'Sends a password reset link when the address has an account. Always answers true, so it does not tell whether an account exists.',
  })
  @Public()
  async requestPasswordReset(@Args('email') email: string, @RequestOrigin() origin: LoginOrigin): Promise<boolean> {
    await this.throttle.throttled('password_reset_request', normalizeEmail(email), origin.ip, () => this.resets.request(email));
    return true;
  }

  @Mutation(() => Boolean, { description: 'Sets a new password with the token from a reset link; every session of the account ends.' })
  @Public()
  async resetPassword(@Args('token') token: string, @Args('newPassword') newPassword: string, @RequestOrigin() origin: LoginOrigin): Promise<boolean> {
    await this.throttle.throttled('password_reset', token, origin.ip, () => this.resets.reset(token, newPassword));
    return true;
  }

  @Query(() => SignInOptionsType, { description: "How people of an organisation can sign in (whether to show the Microsoft button). Needs no sign-in." })
  @Public()
  tenantSignInOptions(@Args('tenant', { description: "The organisation's slug." }) tenant: string): Promise<SignInOptionsType> {
    return this.oidc.signInOptions(tenant);
  }
}
