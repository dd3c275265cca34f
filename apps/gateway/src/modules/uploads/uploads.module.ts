import { Module } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import { createLandingStore } from '@kineo/landing';
import { SETTINGS } from '../../engine/config/settings.module';
import { ErrorsModule } from '../../engine/errors/errors.module';
import { LANDING_STORE, LandingRepository } from './landing.repository';
import { LoadRequestService } from './load-request.service';
import { MultipartUploadsService } from './multipart-uploads.service';
import { ResumableUploadsController } from './resumable-uploads.controller';
import { ResumableUploadsRepository } from './resumable-uploads.repository';
import { ResumableUploadsService } from './resumable-uploads.service';
import { UploadCompletionService } from './upload-completion.service';
import { UploadStatusService } from './upload-status.service';
import { UploadsController } from './uploads.controller';

@Module({
  imports: [ErrorsModule],
  controllers: [UploadsController, ResumableUploadsController],
  providers: [
    { provide: LANDING_STORE, inject: [SETTINGS], useFactory: (settings: Settings) => createLandingStore(settings) },
    LoadRequestService,
    MultipartUploadsService,
    ResumableUploadsService,
    UploadCompletionService,
    UploadStatusService,
    LandingRepository,
    ResumableUploadsRepository,
  ],
})
export class UploadsModule {}
