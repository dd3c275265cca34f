import { Body, Controller, Get, HttpCode, Param, Post, Req, UseFilters } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import type { FastifyRequest } from 'fastify';
import { CurrentTenant, Roles } from '../../engine/auth/auth.decorators';
import { HttpErrorFilter } from '../../engine/errors/http-error.filter';
import { MultipartUploadsService } from './multipart-uploads.service';
import { UploadCompletionService } from './upload-completion.service';
import { UploadStatusService } from './upload-status.service';
import { UploadError } from './uploads.exception';
import type { UploadReceipt, UploadStatus } from './uploads.types';

/** An org admin's LMS export files, streamed to the tenant's landing area and loaded. */
@Controller('uploads')
@UseFilters(HttpErrorFilter)
export class UploadsController {
  constructor(
    private readonly multipart: MultipartUploadsService,
    private readonly completion: UploadCompletionService,
    private readonly statuses: UploadStatusService,
  ) {}

  @Post()
  @HttpCode(202)
  @Roles('org_admin')
  receive(@CurrentTenant() tenant: TenantContext, @Req() request: FastifyRequest): Promise<UploadReceipt> {
    if (!request.isMultipart()) throw new UploadError('UPLOAD_NOT_MULTIPART', 'Send the files as multipart/form-data.');
    return this.multipart.receive(tenant, request.parts());
  }

  /** Loads files sent with the resumable (tus) endpoint, once each has been sent whole. */
  @Post('complete')
  @HttpCode(202)
  @Roles('org_admin')
  complete(@CurrentTenant() tenant: TenantContext, @Body() body: unknown): Promise<UploadReceipt> {
    return this.completion.complete(tenant, body);
  }

  @Get(':ingestionRunId')
  @Roles('org_admin')
  status(@CurrentTenant() tenant: TenantContext, @Param('ingestionRunId') ingestionRunId: string): Promise<UploadStatus> {
    return this.statuses.status(tenant, ingestionRunId);
  }
}
