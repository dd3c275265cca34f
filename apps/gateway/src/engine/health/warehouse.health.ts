import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { Injectable } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import { HealthIndicatorService, type HealthCheckAttempt } from '@nestjs/terminus';
import { InjectSettings } from '../config/settings.module';

const TIMEOUT_MS = 2_000;

/**
 * For now the warehouse is the DuckDB directory under KINEO_DATA_DIR: healthy when it exists (or
 * can be made) and is writable. Replaced by a real DuckDB check with the warehouse driver.
 */
@Injectable()
export class WarehouseHealthIndicator {
  private readonly dir: string;

  constructor(
    private readonly indicators: HealthIndicatorService,
    @InjectSettings() settings: Settings,
  ) {
    this.dir = path.resolve(settings.KINEO_DATA_DIR, 'warehouse');
  }

  check<const Key extends string>(key: Key): HealthCheckAttempt<Key> {
    return this.indicators
      .check(key)
      .attempt(async () => {
        try {
          await fs.mkdir(this.dir, { recursive: true });
          await fs.access(this.dir, constants.R_OK | constants.W_OK);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          throw new Error(`warehouse directory not writable${typeof code === 'string' ? ` (${code})` : ''}`, {
            cause: error,
          });
        }
      })
      .withTimeout(TIMEOUT_MS);
  }
}
