import { Module } from '@nestjs/common';
import { ErrorsModule } from '../../engine/errors/errors.module';
import { LandingRepository } from './landing.repository';
import { UploadsController } from './uploads.controller';
import { UploadsService } from './uploads.service';

@Module({
  imports: [ErrorsModule],
  controllers: [UploadsController],
  providers: [UploadsService, LandingRepository],
})
export class UploadsModule {}
