import fs from 'node:fs';
import path from 'node:path';
import { WarehouseError } from '../errors';
import { assertIdentifier } from '../namespace';
import { LAYERS, type Layer, type LocalTableFiles } from '../types';

/**
 * A DuckDB tenant's table files: `<tenant folder>/<layer>/<table>/<name>`, inside the folders the
 * tenant's own DuckDB instance may read and write (allowed_directories), so views over them work.
 */
export function localTableFiles(tenantDir: string): LocalTableFiles {
  const folderOf = (layer: Layer, table: string) => {
    if (!LAYERS.includes(layer)) throw new WarehouseError('WAREHOUSE_IDENTIFIER_INVALID', `unknown layer ${JSON.stringify(layer)}`);
    return path.join(tenantDir, layer, assertIdentifier(table));
  };
  return {
    folder(layer, table) {
      const folder = folderOf(layer, table);
      fs.mkdirSync(folder, { recursive: true });
      return folder;
    },
    list(layer, table) {
      const folder = folderOf(layer, table);
      return fs.existsSync(folder) ? fs.readdirSync(folder).sort() : [];
    },
    remove(layer, table, name) {
      // Any name a crash may have left, but one entry of this folder only.
      if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
        throw new WarehouseError('WAREHOUSE_IDENTIFIER_INVALID', `refusing unsafe file name ${JSON.stringify(name)}`);
      }
      fs.rmSync(path.join(folderOf(layer, table), name), { force: true, recursive: true });
    },
  };
}
