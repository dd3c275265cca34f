import { Global, Module } from '@nestjs/common';
import { AuthService } from '@kineo/auth';
import { createSecretStore, secretsRequired, type Settings } from '@kineo/config';
import type { PrismaClient } from '@kineo/db';
import { SETTINGS } from '../config/settings.module';
import { PRISMA } from '../database/database.module';
import { AuthenticatedGuard, RolesGuard, TenantGuard } from './auth.guards';
import { AuthResolver } from './auth.resolver';
import { LoginThrottle } from './login-throttle.service';
import { SessionHook } from './session.hook';

/** Sign-in, sessions and the guards that turn a verified session into a TenantContext. */
@Global()
@Module({
  providers: [
    {
      provide: AuthService,
      inject: [SETTINGS, PRISMA],
      useFactory: (settings: Settings, prisma: PrismaClient): AuthService =>
        AuthService.create(prisma, createSecretStore(settings), {
          sessionTtlSeconds: settings.AUTH_SESSION_TTL_SECONDS,
          refreshTtlSeconds: settings.AUTH_REFRESH_TTL_SECONDS,
          requireSecrets: secretsRequired(settings),
        }),
    },
    SessionHook,
    LoginThrottle,
    AuthResolver,
    AuthenticatedGuard,
    TenantGuard,
    RolesGuard,
  ],
  exports: [AuthService, SessionHook, LoginThrottle, AuthenticatedGuard, TenantGuard, RolesGuard],
})
export class AuthModule {}
