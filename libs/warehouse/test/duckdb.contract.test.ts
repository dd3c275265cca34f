import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDbWarehouse } from '../src';
import { warehouseContract } from './contract';

warehouseContract('duckdb', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-wh-'));
  return {
    warehouse: new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), threads: 1, memoryLimit: '256MB' }),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});
