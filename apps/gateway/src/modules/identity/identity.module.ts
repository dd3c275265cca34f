import { Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AccountService, AuthService, InvitationService, LinkMailer, OidcService, PasswordResetService, TenantUserService } from '@kineo/auth';
import { createSecretStore, secretsRequired, type Settings } from '@kineo/config';
import type { PrismaClient } from '@kineo/db';
import type { Redis } from 'ioredis';
import { SETTINGS } from '../../engine/config/settings.module';
import { PRISMA } from '../../engine/database/database.module';
import { REDIS } from '../../engine/redis/redis.module';
import { AccountResolver } from './account.resolver';
import { LmsPeopleService } from './lms-people.service';
import { ManagerInvitationsService } from './manager-invitations.service';
import { OidcController } from './oidc.controller';
import { PeopleResolver } from './people.resolver';
import { TenantAdminInvitationsResolver } from './tenant-admin-invitations.resolver';

const logger = new Logger('Identity');
const log = (message: string, fields: Record<string, unknown>) => logger.log({ ...fields, msg: message });

/** Invitations (an org admin's, and ops' of a tenant's admin), password resets, the org admin's user management and Microsoft sign-in. */
@Module({
  controllers: [OidcController],
  providers: [
    {
      provide: LinkMailer,
      inject: [SETTINGS],
      useFactory: (settings: Settings) => new LinkMailer(settings.SMTP_URL, settings.MAIL_FROM, log, !secretsRequired(settings)),
    },
    {
      provide: InvitationService,
      inject: [PRISMA, AuthService, LinkMailer, SETTINGS],
      useFactory: (prisma: PrismaClient, auth: AuthService, mailer: LinkMailer, settings: Settings) => new InvitationService(prisma, auth, mailer, settings.PORTAL_URL),
    },
    {
      provide: PasswordResetService,
      inject: [PRISMA, AuthService, LinkMailer, SETTINGS],
      useFactory: (prisma: PrismaClient, auth: AuthService, mailer: LinkMailer, settings: Settings) =>
        new PasswordResetService(prisma, auth.sessions, mailer, settings.PORTAL_URL, log),
    },
    {
      provide: AccountService,
      inject: [PRISMA, AuthService],
      useFactory: (prisma: PrismaClient, auth: AuthService) => new AccountService(prisma, auth.sessions),
    },
    {
      provide: TenantUserService,
      inject: [PRISMA, AuthService],
      useFactory: (prisma: PrismaClient, auth: AuthService) => new TenantUserService(prisma, auth.sessions),
    },
    {
      provide: OidcService,
      inject: [PRISMA, AuthService, SETTINGS, REDIS],
      // Local (http, loopback) identity providers only outside production: the tests' and the demo's stand-in for Entra ID.
      useFactory: (prisma: PrismaClient, auth: AuthService, settings: Settings, redis: Redis) =>
        new OidcService(
          prisma,
          createSecretStore(settings),
          auth,
          { allowLocal: settings.NODE_ENV !== 'production', allowedHosts: settings.OIDC_ALLOWED_ISSUER_HOSTS },
          // Each finished sign-in's code is redeemed once. With Redis away sign-in goes on (like the
          // sign-in throttle): a code could then be redeemed twice, only with its browser's nonce.
          async (key, ttlSeconds) => {
            try {
              return (await redis.set(`kineo:${key}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
            } catch (error) {
              logger.warn(`Microsoft sign-in code not marked used (Redis: ${error instanceof Error ? error.message : String(error)})`);
              return true;
            }
          },
        ),
    },
    ManagerInvitationsService,
    LmsPeopleService,
    PeopleResolver,
    AccountResolver,
    TenantAdminInvitationsResolver,
  ],
})
export class IdentityModule implements OnApplicationShutdown {
  constructor(@Inject(LinkMailer) private readonly mailer: LinkMailer) {}

  onApplicationShutdown(): void {
    this.mailer.close();
  }
}
