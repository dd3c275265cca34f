import { Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AccountService, AuthService, InvitationService, LinkMailer, OidcService, PasswordResetService, TenantUserService } from '@kineo/auth';
import { createSecretStore, secretsRequired, type Settings } from '@kineo/config';
import type { PrismaClient } from '@kineo/db';
import { SETTINGS } from '../../engine/config/settings.module';
import { PRISMA } from '../../engine/database/database.module';
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
      inject: [PRISMA, AuthService, SETTINGS],
      useFactory: (prisma: PrismaClient, auth: AuthService, settings: Settings) => new OidcService(prisma, createSecretStore(settings), auth),
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
