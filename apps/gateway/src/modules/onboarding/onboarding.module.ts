import { Module } from '@nestjs/common';
import { OnboardingResolver } from './onboarding.resolver';
import { OnboardingService } from './onboarding.service';

/** Org admins: loads and builds, the quarantine report, settings and rebuilds. */
@Module({ providers: [OnboardingResolver, OnboardingService] })
export class OnboardingModule {}
