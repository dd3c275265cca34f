import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  ConfigError,
  createSecretStore,
  EnvSecretStore,
  FileSecretStore,
  KeyVaultSecretStore,
  SecretStoreError,
} from '../src';

describe('FileSecretStore', () => {
  let dataDir: string;
  let dir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'kineo-secrets-'));
    dir = path.join(dataDir, 'secrets');
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('keeps a secret readable only by its owner', async () => {
    const store = new FileSecretStore(dir);
    await store.set('tenant_t_1a.databricks:token', 'dapi-123');

    expect(await store.get('tenant_t_1a.databricks:token')).toBe('dapi-123');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const file = path.join(dir, 'tenant_t_1a.databricks:token');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe('dapi-123');
  });

  it('replaces a value without leaving temporary files behind', async () => {
    const store = new FileSecretStore(dir);
    await store.set('jwt-signing-key', 'first');
    await store.set('jwt-signing-key', 'second');

    expect(await store.get('jwt-signing-key')).toBe('second');
    expect(await readdir(dir)).toEqual(['jwt-signing-key']);
  });

  it('returns undefined for a missing secret and forgets a deleted one', async () => {
    const store = new FileSecretStore(dir);
    expect(await store.get('nothing-here')).toBeUndefined();

    await store.set('smtp_password', 'hunter2');
    await store.delete('smtp_password');
    expect(await store.get('smtp_password')).toBeUndefined();
    await expect(store.delete('smtp_password')).resolves.toBeUndefined();
  });

  it('treats names case-insensitively, like the other stores', async () => {
    const store = new FileSecretStore(dir);
    await store.set('SMTP_Password', 'hunter2');
    expect(await store.get('smtp_password')).toBe('hunter2');
  });

  it('rejects a name that could escape its directory', async () => {
    const store = new FileSecretStore(dir);
    await expect(store.set('../outside', 'x')).rejects.toMatchObject({ code: 'SECRET_NAME_INVALID' });
    await expect(store.get('.hidden')).rejects.toBeInstanceOf(SecretStoreError);
  });
});

describe('EnvSecretStore', () => {
  const env = {
    KINEO_SECRET_SMTP_PASSWORD: 'hunter2',
    KINEO_SECRET_TENANT_T_1A_DATABRICKS_TOKEN: 'dapi-123',
    KINEO_SECRET_EMPTY: '',
  };

  it('reads KINEO_SECRET_<NAME> variables', async () => {
    const store = new EnvSecretStore(env);
    expect(await store.get('smtp_password')).toBe('hunter2');
    expect(await store.get('tenant_t_1a.databricks:token')).toBe('dapi-123');
    expect(EnvSecretStore.variableName('tenant_t_1a.databricks:token')).toBe(
      'KINEO_SECRET_TENANT_T_1A_DATABRICKS_TOKEN',
    );
  });

  it('returns undefined for a missing or empty variable', async () => {
    const store = new EnvSecretStore(env);
    expect(await store.get('missing')).toBeUndefined();
    expect(await store.get('empty')).toBeUndefined();
  });

  it('refuses to change secrets, naming the variable to set instead', async () => {
    const store = new EnvSecretStore(env);
    await expect(store.set('smtp_password', 'x')).rejects.toMatchObject({
      code: 'SECRET_STORE_READ_ONLY',
      message: expect.stringContaining('KINEO_SECRET_SMTP_PASSWORD'),
    });
    await expect(store.delete('smtp_password')).rejects.toMatchObject({ code: 'SECRET_STORE_READ_ONLY' });
  });
});

describe('createSecretStore', () => {
  it('picks the store SECRET_STORE names', () => {
    const file = createSecretStore({ SECRET_STORE: 'file', KINEO_DATA_DIR: '/var/kineo', KEY_VAULT_URL: undefined });
    expect(file).toBeInstanceOf(FileSecretStore);
    expect((file as FileSecretStore).dir).toBe(path.join('/var/kineo', 'secrets'));

    expect(createSecretStore({ SECRET_STORE: 'env', KINEO_DATA_DIR: '.data', KEY_VAULT_URL: undefined })).toBeInstanceOf(
      EnvSecretStore,
    );

    const vault = createSecretStore({
      SECRET_STORE: 'keyvault',
      KINEO_DATA_DIR: '.data',
      KEY_VAULT_URL: 'https://kineo.vault.azure.net',
    });
    expect(vault).toBeInstanceOf(KeyVaultSecretStore);
    expect((vault as KeyVaultSecretStore).vaultUrl).toBe('https://kineo.vault.azure.net');
  });

  it('refuses Key Vault without a vault URL', () => {
    expect(() => createSecretStore({ SECRET_STORE: 'keyvault', KINEO_DATA_DIR: '.data', KEY_VAULT_URL: undefined })).toThrow(
      ConfigError,
    );
  });
});
