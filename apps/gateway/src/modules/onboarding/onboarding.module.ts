import { Module } from '@nestjs/common';
import { OnboardingResolver } from './onboarding.resolver';
import { OnboardingService } from './onboarding.service';
import { QuarantineController } from './quarantine.controller';
import { QuarantineService } from './quarantine.service';

/** Org admins: loads and builds, the quarantine report, settings and rebuilds. */
@Module({ controllers: [QuarantineController], providers: [OnboardingResolver, OnboardingService, QuarantineService] })
export class OnboardingModule {}
