import { createRequire } from 'node:module';
import type * as AzureIdentity from '@azure/identity';
import type * as KeyVaultSecrets from '@azure/keyvault-secrets';

let identity: typeof AzureIdentity | undefined;
let keyVault: typeof KeyVaultSecrets | undefined;

/**
 * `@azure/identity`, loaded on first use: about 13 MiB of resident memory (MSAL, the Azure core
 * pipeline) that only deployments using Key Vault or Entra ID for Databricks need, so a gateway or
 * worker on SECRET_STORE=file/env and DuckDB never loads it.
 */
export function azureIdentity(): typeof AzureIdentity {
  identity ??= createRequire(__filename)('@azure/identity') as typeof AzureIdentity;
  return identity;
}

/** `@azure/keyvault-secrets`, loaded when the first Key Vault secret is read or written. */
export function azureKeyVaultSecrets(): typeof KeyVaultSecrets {
  keyVault ??= createRequire(__filename)('@azure/keyvault-secrets') as typeof KeyVaultSecrets;
  return keyVault;
}
