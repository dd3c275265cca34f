import fs from 'node:fs';
import path from 'node:path';
import { Injectable } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import { InjectSettings } from '../../engine/config/settings.module';
import { GATEWAY_ROOT } from '../../engine/config/gateway-root.util';
import type { PlatformInfo } from './platform.types';

const SERVICE = 'gateway';

function gatewayVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(GATEWAY_ROOT, 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}

@Injectable()
export class PlatformService {
  private readonly version = gatewayVersion();

  constructor(@InjectSettings() private readonly settings: Settings) {}

  describe(): PlatformInfo {
    return {
      service: SERVICE,
      version: this.version,
      environment: this.settings.NODE_ENV,
      time: new Date(),
    };
  }
}
