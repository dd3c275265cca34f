import { Module } from '@nestjs/common';
import { ErrorsModule } from '../../engine/errors/errors.module';
import { LandingRepository } from './landing.repository';
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
