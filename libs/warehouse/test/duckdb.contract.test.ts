import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDbWarehouse } from '../src';
import { warehouseContract } from './contract';

warehouseContract('duckdb', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-wh-'));
  return {
    warehouse: new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), landingRoot: path.join(dir, 'landing'), threads: 1, memoryLimit: '256MB' }),
    landingRoot: path.join(dir, 'landing'),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});
