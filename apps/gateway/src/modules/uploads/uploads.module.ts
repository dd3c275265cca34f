import { Module } from '@nestjs/common';
import { ErrorsModule } from '../../engine/errors/errors.module';
import { LandingRepository } from './landing.repository';
import { ResumableUploadsController } from './resumable-uploads.controller';
import { ResumableUploadsRepository } from './resumable-uploads.repository';
import { UploadsController } from './uploads.controller';
import { UploadsService } from './uploads.service';

@Module({
  imports: [ErrorsModule],
  controllers: [UploadsController, ResumableUploadsController],
  providers: [UploadsService, LandingRepository, ResumableUploadsRepository],
})
export class UploadsModule {}
