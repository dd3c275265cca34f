import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
  async receive(
    @CurrentTenant() tenant: TenantContext,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UploadReceipt> {
    if (!request.isMultipart()) throw new UploadError('UPLOAD_NOT_MULTIPART', 'Send the files as multipart/form-data.');
    const declared = request.headers['content-length'];
    try {
      return await this.multipart.receive(tenant, {
        declaredBytes: declared === undefined ? undefined : Number(declared),
        parts: (fileSize) => request.parts({ limits: { fileSize } }),
      });
    } catch (error) {
      // A refusal may come before the body was read (the plan's limit, from Content-Length): the rest
      // of it is never read, so the connection cannot carry another request.
      void reply.header('connection', 'close');
      throw error;
    }
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
