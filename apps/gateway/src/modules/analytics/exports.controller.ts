import { PassThrough } from 'node:stream';
import { Body, Controller, HttpCode, Logger, Post, Res, UseFilters } from '@nestjs/common';
import type { Principal, TenantContext } from '@kineo/auth';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, CurrentTenant, Roles } from '../../engine/auth/auth.decorators';
import { HttpErrorFilter } from '../../engine/errors/http-error.filter';
import { AnalyticsRateLimit } from './analytics-rate-limit.guard';
import { PARTIAL_PERIOD_HEADER, PARTIAL_START_HEADER, partialPeriodHeader, partialStartHeader } from './export-about.util';
import { ExportsInFlightService } from './exports-in-flight.service';
import { ExportsService, parseExportRequest, type PreparedExport } from './exports.service';

/**
 * `POST /exports`: a CSV or XLSX file of an analytics query, a dashboard tile or a drill list,
 * streamed as it is read. Errors found before the first byte (bad request, scope, a query that
 * fails at once) are the usual JSON error; a failure mid-file cuts the response off, and the audit
 * event records the export as incomplete. A time series whose last period the data or the asked
 * range ends inside says so in `x-kineo-partial-period`, one whose first period the range starts
 * inside in `x-kineo-partial-start` (and, in an XLSX, on its "About this export" sheet). A user may
 * have `EXPORTS_IN_FLIGHT_PER_USER` exports running at once and a tenant `EXPORTS_IN_FLIGHT_PER_TENANT`;
 * one more is TOO_MANY_EXPORTS (429, `Retry-After`).
 */
@Controller('exports')
@UseFilters(HttpErrorFilter)
export class ExportsController {
  private readonly logger = new Logger('Exports');

  constructor(
    private readonly exports: ExportsService,
    private readonly inFlight: ExportsInFlightService,
  ) {}

  @Post()
  @HttpCode(200)
  @Roles('org_admin', 'manager', 'viewer')
  @AnalyticsRateLimit()
  async export(@CurrentTenant() tenant: TenantContext, @CurrentPrincipal() principal: Principal, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const request = parseExportRequest(body);
    // Taken before the warehouse is asked, given back when the response ends however it ends.
    const place = await this.inFlight.take(tenant);
    let prepared: PreparedExport;
    try {
      prepared = await this.exports.prepare(tenant, request, request.format, principal.tenant?.locale);
    } catch (error) {
      place.release();
      throw error;
    }
    // A caller gone while the statement started has no response left to close.
    if (reply.raw.closed || reply.raw.socket?.destroyed) place.release();
    else reply.raw.once('close', () => place.release());
    const out = new PassThrough();
    if (prepared.partialPeriod) reply.header(PARTIAL_PERIOD_HEADER, partialPeriodHeader(prepared.partialPeriod));
    if (prepared.partialStart) reply.header(PARTIAL_START_HEADER, partialStartHeader(prepared.partialStart));
    void reply
      .status(200)
      .header('content-type', prepared.contentType)
      .header('content-disposition', `attachment; filename="${prepared.fileName}"`)
      .header('x-kineo-data-version', String(prepared.dataVersion))
      .header('x-kineo-as-of', prepared.asOf)
      .header('cache-control', 'no-store')
      .send(out);
    prepared
      .write(out)
      .catch((error: unknown) => {
        this.logger.error({ err: error }, `Export ${prepared.fileName} failed part-way: ${error instanceof Error ? error.message : String(error)}`);
        out.destroy(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => place.release());
  }
}
