import { Controller, Delete, Head, Options, Param, Patch, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentTenant, Roles } from '../../engine/auth/auth.decorators';
import { HttpErrorFilter } from '../../engine/errors/http-error.filter';
import { sendWebResponse, toWebRequest } from './resumable-http.util';
import { ResumableUploadsService } from './resumable-uploads.service';

/**
 * Resumable uploads with the tus protocol v1.0.0 (the portal uses tus-js-client), for an org
 * admin's large export files: create with POST, ask how much arrived with HEAD, send the rest with
 * PATCH, drop with DELETE. `POST /uploads/complete` then loads the finished files.
 */
@Controller('uploads/resumable')
@UseFilters(HttpErrorFilter)
@Roles('org_admin')
export class ResumableUploadsController {
  constructor(private readonly uploads: ResumableUploadsService) {}

  @Options()
  capabilities(@CurrentTenant() tenant: TenantContext, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.relay(tenant, request, reply);
  }

  @Post()
  create(@CurrentTenant() tenant: TenantContext, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.relay(tenant, request, reply);
  }

  @Head(':uploadId')
  offset(
    @CurrentTenant() tenant: TenantContext,
    @Param('uploadId') uploadId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.relay(tenant, request, reply, uploadId);
  }

  @Patch(':uploadId')
  append(
    @CurrentTenant() tenant: TenantContext,
    @Param('uploadId') uploadId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.relay(tenant, request, reply, uploadId);
  }

  @Delete(':uploadId')
  terminate(
    @CurrentTenant() tenant: TenantContext,
    @Param('uploadId') uploadId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.relay(tenant, request, reply, uploadId);
  }

  private async relay(tenant: TenantContext, request: FastifyRequest, reply: FastifyReply, uploadId?: string): Promise<void> {
    const response = await this.uploads.handle(tenant, toWebRequest(request, uploadId), uploadId);
    await sendWebResponse(reply, response);
  }
}
