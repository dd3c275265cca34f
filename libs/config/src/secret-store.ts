import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TokenCredential } from '@azure/identity';
import type { SecretClient, SecretClientOptions } from '@azure/keyvault-secrets';
import { azureIdentity, azureKeyVaultSecrets } from './azure-sdk.loader';
import { ConfigError, type Settings } from './settings';
import { DomainError } from '@kineo/errors';

/** Where the platform keeps credentials it must not put in Postgres or in settings. */
export interface SecretStore {
  /** The secret's value, or undefined when there is no such secret. */
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  /** Removes the secret; deleting a secret that does not exist is not an error. */
  delete(name: string): Promise<void>;
}

export type SecretStoreErrorCode =
  | 'SECRET_NAME_INVALID'
  | 'SECRET_STORE_READ_ONLY'
  | 'SECRET_STORE_ACCESS_DENIED'
  | 'SECRET_DELETED_RECOVERABLE'
  | 'SECRET_STORE_FAILED';

export class SecretStoreError extends DomainError<SecretStoreErrorCode> {
  constructor(
    code: SecretStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, {}, options);
  }
}

const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const SECRET_NAME_MAX = 127;

/**
 * Checks a name against the rule every store shares and returns its canonical (lower-case) form.
 * Names are case-insensitive everywhere because Key Vault and environment variables are, so a
 * name that works with one store means the same secret with the others.
 */
export function canonicalSecretName(name: string): string {
  if (typeof name !== 'string' || name.length > SECRET_NAME_MAX || !SECRET_NAME.test(name)) {
    throw new SecretStoreError(
      'SECRET_NAME_INVALID',
      `Invalid secret name "${name}": use 1-${SECRET_NAME_MAX} characters from A-Z, a-z, 0-9, "_", ".", ":" and "-", starting with a letter or digit.`,
    );
  }
  return name.toLowerCase();
}

/** Reads secrets provisioned as `KINEO_SECRET_<NAME>` variables, for containers and CI. */
export class EnvSecretStore implements SecretStore {
  constructor(private readonly env: Record<string, string | undefined> = process.env) {}

  static variableName(name: string): string {
    return `KINEO_SECRET_${canonicalSecretName(name).toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  }

  async get(name: string): Promise<string | undefined> {
    const value = this.env[EnvSecretStore.variableName(name)];
    // An empty variable means unset, as it does for settings (loadSettings).
    return value === undefined || value === '' ? undefined : value;
  }

  async set(name: string, _value: string): Promise<void> {
    throw readOnly(name);
  }

  async delete(name: string): Promise<void> {
    throw readOnly(name);
  }
}

function readOnly(name: string): SecretStoreError {
  return new SecretStoreError(
    'SECRET_STORE_READ_ONLY',
    `Cannot change secret "${name}": SECRET_STORE=env reads secrets from KINEO_SECRET_* environment variables, which are read-only. Set ${EnvSecretStore.variableName(name)} in the environment instead, or use SECRET_STORE=file or keyvault.`,
  );
}

/** One file per secret, readable only by the owner: the local and single-machine store. */
export class FileSecretStore implements SecretStore {
  constructor(readonly dir: string) {}

  async get(name: string): Promise<string | undefined> {
    try {
      return await fs.readFile(this.fileOf(name), 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw failed('read', name, error);
    }
  }

  async set(name: string, value: string): Promise<void> {
    const file = this.fileOf(name);
    // Secret names start with a letter or digit, so a dot-prefixed temp file can never be read as one.
    const temp = path.join(this.dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      // mkdir leaves an existing directory's mode alone, and the umask can only narrow it.
      await fs.chmod(this.dir, 0o700);
      const handle = await fs.open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(value, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      // A reader sees the old value or the new one, never a partly written file.
      await fs.rename(temp, file);
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw failed('write', name, error);
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await fs.unlink(this.fileOf(name));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw failed('delete', name, error);
    }
  }

  private fileOf(name: string): string {
    return path.join(this.dir, canonicalSecretName(name));
  }
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function failed(action: string, name: string, error: unknown): SecretStoreError {
  const reason = error instanceof Error ? error.message : String(error);
  return new SecretStoreError('SECRET_STORE_FAILED', `Cannot ${action} secret "${name}": ${reason}`, {
    cause: error,
  });
}

// "-" is the escape character, so the mapping is injective: "a_b", "a.b", "a:b" and "a-b" stay apart.
const KEY_VAULT_ESCAPES: Record<string, string> = { '-': '--', _: '-u', '.': '-d', ':': '-c' };
const KEY_VAULT_NAME_MAX = 127;

/** The Key Vault name (only `[0-9a-z-]`, at most 127 characters) a secret name is stored under. */
export function keyVaultSecretName(name: string): string {
  const mapped = canonicalSecretName(name).replace(/[-_.:]/g, (c) => KEY_VAULT_ESCAPES[c]);
  if (mapped.length > KEY_VAULT_NAME_MAX) {
    throw new SecretStoreError(
      'SECRET_NAME_INVALID',
      `Invalid secret name "${name}": it maps to the Key Vault name "${mapped}", which is longer than ${KEY_VAULT_NAME_MAX} characters ("-", "_", "." and ":" each take two).`,
    );
  }
  return mapped;
}

/**
 * Secrets in Azure Key Vault, authenticated with Entra ID (DefaultAzureCredential unless given).
 * The Azure SDK loads with the first secret asked for, not with the process.
 */
export class KeyVaultSecretStore implements SecretStore {
  private clientInstance?: SecretClient;

  constructor(
    readonly vaultUrl: string,
    private readonly credential?: TokenCredential,
    private readonly clientOptions: SecretClientOptions = {},
  ) {}

  private get client(): SecretClient {
    this.clientInstance ??= new (azureKeyVaultSecrets().SecretClient)(
      this.vaultUrl,
      this.credential ?? new (azureIdentity().DefaultAzureCredential)(),
      this.clientOptions,
    );
    return this.clientInstance;
  }

  async get(name: string): Promise<string | undefined> {
    const vaultName = keyVaultSecretName(name);
    try {
      return (await this.client.getSecret(vaultName)).value;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.failure('read', name, error);
    }
  }

  async set(name: string, value: string): Promise<void> {
    const vaultName = keyVaultSecretName(name);
    try {
      await this.client.setSecret(vaultName, value);
    } catch (error) {
      throw this.failure('write', name, error);
    }
  }

  async delete(name: string): Promise<void> {
    const vaultName = keyVaultSecretName(name);
    try {
      const poller = await this.client.beginDeleteSecret(vaultName);
      const deleted = await poller.pollUntilDone();
      // Without soft delete the secret is already gone and there is nothing to purge.
      if (!deleted.recoveryId) return;
    } catch (error) {
      // Not found may still leave a soft-deleted copy from an earlier delete, so purge regardless.
      if (statusOf(error) !== 404) throw this.failure('delete', name, error);
    }
    try {
      await this.client.purgeDeletedSecret(vaultName);
    } catch (error) {
      // 403: purge protection or no purge permission; the secret stays recoverable until its
      // retention ends, which is as deleted as this vault allows.
      const status = statusOf(error);
      if (status !== 404 && status !== 403) throw this.failure('purge', name, error);
    }
  }

  private failure(action: string, name: string, error: unknown): SecretStoreError {
    const status = statusOf(error);
    const reason = error instanceof Error ? error.message : String(error);
    const where = `secret "${name}" in Key Vault ${this.vaultUrl}`;
    if (status === 401 || status === 403 || isCredentialError(error)) {
      return new SecretStoreError(
        'SECRET_STORE_ACCESS_DENIED',
        `Cannot ${action} ${where}: access denied${status ? ` (HTTP ${status})` : ''}. Check the Entra ID identity and its Key Vault secret permissions. ${reason}`,
        { cause: error },
      );
    }
    if (status === 409) {
      return new SecretStoreError(
        'SECRET_DELETED_RECOVERABLE',
        `Cannot ${action} ${where}: a deleted copy that could not be purged still holds the name. Recover or purge it, or wait for the vault's retention period to end. ${reason}`,
        { cause: error },
      );
    }
    return new SecretStoreError(
      'SECRET_STORE_FAILED',
      `Cannot ${action} ${where}${status ? ` (HTTP ${status})` : ''}: ${reason}`,
      { cause: error },
    );
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function isCredentialError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'CredentialUnavailableError' || name === 'AuthenticationError' || name === 'AggregateAuthenticationError';
}

export function createSecretStore(
  settings: Pick<Settings, 'SECRET_STORE' | 'KINEO_DATA_DIR' | 'KEY_VAULT_URL'>,
): SecretStore {
  switch (settings.SECRET_STORE) {
    case 'env':
      return new EnvSecretStore();
    case 'file':
      return new FileSecretStore(path.join(settings.KINEO_DATA_DIR, 'secrets'));
    case 'keyvault':
      if (!settings.KEY_VAULT_URL) {
        throw new ConfigError([
          { variable: 'KEY_VAULT_URL', message: 'is required when SECRET_STORE=keyvault' },
        ]);
      }
      return new KeyVaultSecretStore(settings.KEY_VAULT_URL);
  }
}
