import { ConfigError, loadSetting, loadSettings } from '../src';

function configErrorFrom(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadSettings', () => {
  it('gives working local defaults when nothing is set', () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({
      NODE_ENV: 'development',
      KINEO_DATA_DIR: '.data',
      DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:54329/kineo',
      GATEWAY_PORT: 4000,
      WAREHOUSE_ENGINE: 'duckdb',
      SECRET_STORE: 'file',
      WORKER_CONCURRENCY: 2,
      WORKER_SHUTDOWN_GRACE_MS: 20_000,
      GATEWAY_SHUTDOWN_GRACE_MS: 25_000,
      METRICS_ENABLED: true,
    });
    expect(settings.KEY_VAULT_URL).toBeUndefined();
  });

  it('treats an empty variable as unset', () => {
    expect(loadSettings({ GATEWAY_PORT: '' }).GATEWAY_PORT).toBe(4000);
  });

  it('coerces numbers and booleans from strings', () => {
    const settings = loadSettings({ GATEWAY_PORT: '8080', METRICS_ENABLED: 'no' });
    expect(settings.GATEWAY_PORT).toBe(8080);
    expect(settings.METRICS_ENABLED).toBe(false);
  });

  it('names every bad variable and what it was given', () => {
    const error = configErrorFrom(() =>
      loadSettings({ GATEWAY_PORT: 'abc', DATABASE_URL: 'mysql://x' }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'GATEWAY_PORT']);
    expect(error.message).toMatch(/GATEWAY_PORT: .*\(got "abc"\)/);
    expect(error.message).toMatch(/DATABASE_URL: .*postgres/);
  });

  it('requires KEY_VAULT_URL when secrets are in Key Vault', () => {
    const error = configErrorFrom(() => loadSettings({ SECRET_STORE: 'keyvault' }));
    expect(error.problems).toEqual([{ variable: 'KEY_VAULT_URL', message: expect.stringContaining('keyvault') }]);
    expect(
      loadSettings({ SECRET_STORE: 'keyvault', KEY_VAULT_URL: 'https://kineo.vault.azure.net' }).KEY_VAULT_URL,
    ).toBe('https://kineo.vault.azure.net');
  });

  it('keeps landed files in the local folder unless told, and needs the container for Azure Blob Storage', () => {
    expect(loadSettings({})).toMatchObject({ LANDING_STORE: 'local', LANDING_BLOB_AUTH: 'managed-identity' });
    expect(configErrorFrom(() => loadSettings({ LANDING_STORE: 'azure-blob' })).problems).toEqual([
      { variable: 'LANDING_BLOB_URL', message: 'is required when LANDING_STORE=azure-blob' },
    ]);
    expect(configErrorFrom(() => loadSettings({ LANDING_STORE: 'azure-blob', LANDING_BLOB_URL: 'https://kineoprod.blob.core.windows.net' })).problems).toEqual([
      { variable: 'LANDING_BLOB_URL', message: expect.stringContaining('must name the container') },
    ]);
    expect(loadSettings({ LANDING_STORE: 'azure-blob', LANDING_BLOB_URL: 'https://kineoprod.blob.core.windows.net/landing/' }).LANDING_BLOB_URL).toBe(
      'https://kineoprod.blob.core.windows.net/landing',
    );
    // The emulator's published key never reaches production.
    const production = { NODE_ENV: 'production', LANDING_STORE: 'azure-blob', LANDING_BLOB_URL: 'https://kineoprod.blob.core.windows.net/landing', LANDING_BLOB_AUTH: 'azurite' };
    expect(configErrorFrom(() => loadSettings(production)).problems).toEqual([{ variable: 'LANDING_BLOB_AUTH', message: expect.stringContaining('not used in production') }]);
  });

  it('has identity defaults (no mail server, a local portal) and refuses a mail server or portal that is not a URL of its kind', () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({ PORTAL_URL: 'http://127.0.0.1:3000', AUTH_REFRESH_TTL_SECONDS: 30 * 24 * 3600 });
    expect(settings.SMTP_URL).toBeUndefined();
    expect(loadSettings({ SMTP_URL: 'smtp://mail.example.com:587' }).SMTP_URL).toBe('smtp://mail.example.com:587');

    const error = configErrorFrom(() => loadSettings({ SMTP_URL: 'https://mail.example.com', PORTAL_URL: 'ftp://portal' }));
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['PORTAL_URL', 'SMTP_URL']);
  });

  it('has settings for the portal, the stack and the CLI that were read on the side before', () => {
    expect(loadSettings({})).toMatchObject({
      KINEO_GATEWAY_URL: 'http://127.0.0.1:4000',
      REDIS_SERVER_BIN: 'redis-server',
      KINEO_DEBUG: false,
      USER: 'unknown',
    });
    const settings = loadSettings({ KINEO_GATEWAY_URL: 'https://gateway.kineo.example/', KINEO_DEBUG: '1', USER: 'ops' });
    expect(settings).toMatchObject({ KINEO_GATEWAY_URL: 'https://gateway.kineo.example', KINEO_DEBUG: true, USER: 'ops' });
    expect(configErrorFrom(() => loadSettings({ KINEO_GATEWAY_URL: 'redis://127.0.0.1:4000' })).message).toMatch(
      /KINEO_GATEWAY_URL: must be an http/,
    );
  });

  it('lets a process fix settings over whatever its environment says', () => {
    const settings = loadSettings({ LOG_LEVEL: 'debug', GATEWAY_PORT: '8080' }, { LOG_LEVEL: 'silent' });
    expect(settings.LOG_LEVEL).toBe('silent');
    expect(settings.GATEWAY_PORT).toBe(8080);
  });
});

describe('loadSetting', () => {
  it('reads one setting with its default, whatever the others hold', () => {
    expect(loadSetting('REDIS_SERVER_BIN', { GATEWAY_PORT: 'abc' })).toBe('redis-server');
    expect(loadSetting('REDIS_SERVER_BIN', { REDIS_SERVER_BIN: '/opt/redis/bin/redis-server' })).toBe('/opt/redis/bin/redis-server');
    expect(loadSetting('GATEWAY_PORT', { GATEWAY_PORT: '' })).toBe(4000);
  });

  it('names the variable when its value is bad', () => {
    expect(configErrorFrom(() => loadSetting('GATEWAY_PORT', { GATEWAY_PORT: 'abc' })).message).toMatch(/GATEWAY_PORT: .*\(got "abc"\)/);
  });
});
