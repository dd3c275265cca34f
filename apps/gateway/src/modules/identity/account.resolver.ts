import { DomainError } from '@kineo/errors';
import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AccountService, InvitationService, normalizeEmail, OidcService, PasswordResetService, type LoginOrigin, type Principal } from '@kineo/auth';
import { CurrentPrincipal, Public, RequestOrigin, SignedIn } from '../../engine/auth/auth.decorators';
import { LoginThrottle } from '../../engine/auth/login-throttle.service';
import { sessionPayload } from '../../engine/auth/auth.resolver';
import { SessionPayload } from '../../engine/auth/auth.types';
import { AccountType, PasswordChangeType, SignInOptionsType } from './identity.types';

/**
 * A person's own account: what they do before they have a session (accept an invitation, reset a
 * password, see how to sign in), and once signed in (change their password, end their other sign-ins).
 */
@Resolver()
export class AccountResolver {
  constructor(
    private readonly invitations: InvitationService,
    private readonly resets: PasswordResetService,
    private readonly oidc: OidcService,
    private readonly throttle: LoginThrottle,
    private readonly accounts: AccountService,
  ) {}

  @Query(() => AccountType, { description: "The signed-in person's own account: whether it has a password here, and their other sign-ins." })
  @SignedIn()
  account(@CurrentPrincipal() principal: Principal): Promise<AccountType> {
    return this.accounts.summary(principal);
  }

  @Mutation(() => PasswordChangeType, {
    description:
      'Changes the signed-in person\'s password once their current one is given (CURRENT_PASSWORD_WRONG otherwise; wrong guesses are throttled as sign-ins are). Their other sign-ins end; this one goes on.',
  })
  @SignedIn()
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Args('currentPassword') currentPassword: string,
    @Args('newPassword') newPassword: string,
    @RequestOrigin() origin: LoginOrigin,
  ): Promise<PasswordChangeType> {
    return this.throttle.throttled('password_change', principal.userId, origin.ip, () => this.accounts.changePassword(principal, currentPassword, newPassword, origin));
  }

  @Mutation(() => Int, { description: "Ends the signed-in person's other sign-ins (other browsers or devices); this one goes on. Answers how many ended." })
  @SignedIn()
  signOutOtherSessions(@CurrentPrincipal() principal: Principal, @RequestOrigin() origin: LoginOrigin): Promise<number> {
    return this.accounts.signOutOtherSessions(principal, origin);
  }

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
    // An address with an account gives its current password here: counted against that account's
    // sign-in lock as a sign-in is, so invitations to someone's address cannot be used to guess it.
    // The link's own count first (its wait is the one told while it is locked), then the account's.
    const session = await this.throttle.throttled('invitation', token, origin.ip, async () => {
      const account = await this.invitations.existingAccountFor(token);
      if (!account) return this.invitations.accept(token, password, displayName ?? undefined, origin);
      await this.throttle.attempt(account, origin.ip);
      try {
        const accepted = await this.invitations.accept(token, password, displayName ?? undefined, origin);
        await this.throttle.succeeded(account, origin.ip);
        return accepted;
      } catch (error) {
        if (error instanceof DomainError && error.code === 'UNAUTHENTICATED') await this.throttle.failed(account, origin.ip);
        throw error;
      }
    });
    return sessionPayload(session);
  }

  @Mutation(() => Boolean, {
    description: 'Sends a password reset link when the address has an account. Always answers true, so it does not tell whether an account exists.',
  })
  @Public()
  async requestPasswordReset(@Args('email') email: string, @RequestOrigin() origin: LoginOrigin): Promise<boolean> {
    await this.throttle.throttled('password_reset_request', normalizeEmail(email), origin.ip, () => this.resets.request(email));
    return true;
  }

  @Mutation(() => Boolean, {
    description: "Sets a new password with the token from a reset link; every session of the account ends, and the account's sign-in lock (wrong passwords by anyone) is cleared.",
  })
  @Public()
  async resetPassword(@Args('token') token: string, @Args('newPassword') newPassword: string, @RequestOrigin() origin: LoginOrigin): Promise<boolean> {
    const { email } = await this.throttle.throttled('password_reset', token, origin.ip, () => this.resets.reset(token, newPassword));
    // The owner's way back in when someone has kept their account's sign-in locked with wrong passwords:
    // proving the mailbox clears the account's count and lock (not the guessing addresses').
    await this.throttle.succeeded(email, origin.ip);
    return true;
  }

  @Query(() => SignInOptionsType, { description: "How people of an organisation can sign in (whether to show the Microsoft button). Needs no sign-in." })
  @Public()
  tenantSignInOptions(@Args('tenant', { description: "The organisation's slug." }) tenant: string): Promise<SignInOptionsType> {
    return this.oidc.signInOptions(tenant);
  }
}
