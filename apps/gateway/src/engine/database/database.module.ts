import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import { createPrismaClient, type PrismaClient } from '@kineo/db';
import { SETTINGS } from '../config/settings.module';

/** The process's one PrismaClient (and so one connection pool). */
export const PRISMA = Symbol('kineo.prisma');

export const InjectPrisma = (): ParameterDecorator => Inject(PRISMA);

@Global()
@Module({
  providers: [
    {
      provide: PRISMA,
      inject: [SETTINGS],
      useFactory: (settings: Settings): PrismaClient => createPrismaClient(settings.DATABASE_URL),
    },
  ],
  exports: [PRISMA],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@InjectPrisma() private readonly prisma: PrismaClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.prisma.$disconnect();
  }
}
