import { ConfigError, loadSettings } from '../src';

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

  it('has identity defaults (no mail server, a local portal) and refuses a mail server or portal that is not a URL of its kind', () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({ PORTAL_URL: 'http://localhost:3000', AUTH_REFRESH_TTL_SECONDS: 30 * 24 * 3600 });
    expect(settings.SMTP_URL).toBeUndefined();
    expect(loadSettings({ SMTP_URL: 'smtp://mail.example.com:587' }).SMTP_URL).toBe('smtp://mail.example.com:587');

    const error = configErrorFrom(() => loadSettings({ SMTP_URL: 'https://mail.example.com', PORTAL_URL: 'ftp://portal' }));
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['PORTAL_URL', 'SMTP_URL']);
  });
});
