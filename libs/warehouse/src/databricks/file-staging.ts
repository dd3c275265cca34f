import fs from 'node:fs';
import path from 'node:path';
import { databricksDialect } from '../dialect';
import { WarehouseError } from '../errors';
import { assertStagedName } from '../namespace';
import { isStagingRefusal } from './driver-errors.util';
import type { NamespaceLayout } from './namespace-layout.util';
import { assertOwnNamespace } from './sql-text.util';
import type { StatementRunner } from './statement-runner';
import type { Target } from './tenant-sessions';

const STAGING_TIMEOUT_MS = 60 * 60_000;

/**
 * File staging: landing files go into the tenant's volume with the driver's staging operation
 * (the warehouse answers `PUT` with a presigned URL and the driver sends the bytes there
 * itself). The driver refuses a local file outside `stagingAllowedLocalPath` (the tenant's
 * landing folder), so no staging answer can make this process send, or overwrite, any other
 * file. Each runs on a pooled session of its own, so a caller inside session() holds two at once.
 */
export class FileStaging {
  constructor(
    private readonly runner: StatementRunner,
    private readonly limits: { statementTimeoutMs: number; landingRoot?: string },
  ) {}

  async stage(target: Target, layout: NamespaceLayout, localPath: string, name: string): Promise<string> {
    assertStagedName(name);
    const landing = this.landingDir(layout);
    const location = `${layout.volume.root}/${name}`;
    const file = path.resolve(localPath);
    if (!fs.existsSync(file)) throw new WarehouseError('WAREHOUSE_QUERY_FAILED', 'The file to stage does not exist.');
    await this.run(target, layout, `PUT ${databricksDialect.literal(file)} INTO ${databricksDialect.literal(location)} OVERWRITE`, landing);
    return location;
  }

  async remove(target: Target, layout: NamespaceLayout, location: string): Promise<void> {
    const prefix = `${layout.volume.root}/`;
    if (!location.startsWith(prefix)) throw new WarehouseError('WAREHOUSE_QUERY_FAILED', "Refused: not a file in the tenant's volume.");
    assertStagedName(location.slice(prefix.length));
    await this.run(target, layout, `REMOVE ${databricksDialect.literal(location)}`, this.landingDir(layout));
  }

  private landingDir(layout: NamespaceLayout): string {
    if (!this.limits.landingRoot) {
      throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'Staging files needs the landing folder (landingRoot) of this machine.');
    }
    return path.join(path.resolve(this.limits.landingRoot), layout.namespace);
  }

  private async run(target: Target, layout: NamespaceLayout, sql: string, allowedLocalPath: string): Promise<void> {
    // The time limit covers the transfer too: a large export gets at least an hour.
    const limitMs = Math.max(this.limits.statementTimeoutMs, STAGING_TIMEOUT_MS);
    assertOwnNamespace(sql, layout.scope);
    try {
      await this.runner.execute(target, layout.rewrite(sql), undefined, limitMs, [allowedLocalPath]);
    } catch (error) {
      const cause = error instanceof WarehouseError ? error.cause : error;
      if (isStagingRefusal(cause)) {
        throw new WarehouseError('WAREHOUSE_QUERY_FAILED', "Refused: the file to stage is outside the tenant's landing area.", { cause });
      }
      throw error;
    }
  }
}
