import fs from 'node:fs';
import path from 'node:path';
import type { SecretStore, Settings } from '@kineo/config';
import { WarehouseError } from '../errors';
import { DatabricksWarehouse } from './databricks.warehouse';

export const DATABRICKS_TOKEN_SECRET = 'databricks-token';

/** The Databricks warehouse the settings describe; the access token (local use) comes from the SecretStore. */
export async function createDatabricksWarehouse(
  settings: Settings,
  secrets: SecretStore,
  statementTimeoutMs = settings.WAREHOUSE_STATEMENT_TIMEOUT_MS,
): Promise<DatabricksWarehouse> {
  let auth: ConstructorParameters<typeof DatabricksWarehouse>[0]['auth'];
  if (settings.DATABRICKS_AUTH === 'token') {
    const token = await secrets.get(DATABRICKS_TOKEN_SECRET);
    if (!token) {
      throw new WarehouseError(
        'WAREHOUSE_UNAVAILABLE',
        `DATABRICKS_AUTH=token needs the secret "${DATABRICKS_TOKEN_SECRET}" in the secret store (${settings.SECRET_STORE}).`,
      );
    }
    auth = { kind: 'token', token };
  } else {
    auth = { kind: 'entra' };
  }
  return new DatabricksWarehouse({
    host: settings.DATABRICKS_HOST!,
    path: settings.DATABRICKS_HTTP_PATH!,
    port: settings.DATABRICKS_PORT,
    customCaCert: settings.DATABRICKS_CA_CERT_FILE ? caCertificate(settings.DATABRICKS_CA_CERT_FILE) : undefined,
    auth,
    isolation:
      settings.DATABRICKS_ISOLATION === 'schema'
        ? { mode: 'schema', catalog: settings.DATABRICKS_SHARED_CATALOG! }
        : { mode: 'catalog' },
    statementTimeoutMs,
    landingRoot: path.join(path.resolve(settings.KINEO_DATA_DIR), 'landing'),
  });
}

function caCertificate(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new WarehouseError('WAREHOUSE_UNAVAILABLE', `DATABRICKS_CA_CERT_FILE: cannot read the CA certificate ${file}: ${(error as Error).message}.`);
  }
}
