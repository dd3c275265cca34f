import { Controller, Get, Param, Res, UseFilters } from '@nestjs/common';
import type { TenantContext } from '@kineo/auth';
import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import { CurrentTenant, Roles } from '../../engine/auth/auth.decorators';
import { HttpErrorFilter } from '../../engine/errors/http-error.filter';
import { QuarantineService } from './quarantine.service';

/** The quarantine report as a file, for the org admin to fix the export with. */
@Controller('loads')
@UseFilters(HttpErrorFilter)
export class QuarantineController {
  constructor(private readonly quarantine: QuarantineService) {}

  @Get(':id/quarantine.csv')
  @Roles('org_admin')
  async download(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Readable> {
    const stream = await this.quarantine.csv(tenant, id);
    // Set only once the load is known: an error reply must stay JSON.
    void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="quarantine-${id}.csv"`);
    return stream;
  }
}
