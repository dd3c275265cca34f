import { KeyVaultSecretStore, keyVaultSecretName, SecretStoreError } from '../src';
import { FakeEntraCredential, FakeKeyVault } from './fake-key-vault';

const TOKEN = 'token-issued-by-fake-entra';

describe('KeyVaultSecretStore', () => {
  let vault: FakeKeyVault;

  beforeAll(async () => {
    vault = await FakeKeyVault.start(TOKEN);
  });
  afterAll(() => vault.close());

  function storeWith(credential: FakeEntraCredential): KeyVaultSecretStore {
    return new KeyVaultSecretStore(vault.url, credential, {
      // The challenge names vault.azure.net, which a localhost vault is not part of.
      disableChallengeResourceVerification: true,
      // Trust the fake's self-signed certificate for this client only.
      tlsOptions: { ca: vault.ca },
      retryOptions: { maxRetries: 0 },
    });
  }

  it('returns what was set, authenticating with the token Entra ID issued', async () => {
    const credential = new FakeEntraCredential(TOKEN);
    const store = storeWith(credential);
    vault.requests.length = 0;

    await store.set('tenant_t_1a.databricks:token', 'dapi-123');
    expect(await store.get('tenant_t_1a.databricks:token')).toBe('dapi-123');

    const [challenged, ...authorized] = vault.requests;
    expect(challenged).toMatchObject({ method: 'PUT', authorization: undefined, body: '' });
    expect(credential.requests[0]).toEqual({
      scopes: ['https://vault.azure.net/.default'],
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    });
    const vaultName = 'tenant-ut-u1a-ddatabricks-ctoken';
    expect(authorized.map((r) => [r.method, r.path, r.authorization])).toEqual([
      ['PUT', `/secrets/${vaultName}`, `Bearer ${TOKEN}`],
      ['GET', `/secrets/${vaultName}/`, `Bearer ${TOKEN}`],
    ]);
    expect(JSON.parse(authorized[0]!.body)).toMatchObject({ value: 'dapi-123' });
    expect(authorized.every((r) => r.apiVersion)).toBe(true);
  });

  it('returns undefined for a secret that does not exist', async () => {
    const store = storeWith(new FakeEntraCredential(TOKEN));
    expect(await store.get('never-set')).toBeUndefined();
  });

  it('deletes and purges, so the secret is gone and its name reusable', async () => {
    const store = storeWith(new FakeEntraCredential(TOKEN));
    await store.set('smtp_password', 'hunter2');
    vault.requests.length = 0;

    await store.delete('smtp_password');

    expect(await store.get('smtp_password')).toBeUndefined();
    expect(vault.authorizedRequests().map((r) => `${r.method} ${r.path}`)).toEqual([
      'DELETE /secrets/smtp-upassword',
      'GET /deletedsecrets/smtp-upassword',
      'DELETE /deletedsecrets/smtp-upassword',
      'GET /secrets/smtp-upassword/',
    ]);
    await store.set('smtp_password', 'rotated');
    expect(await store.get('smtp_password')).toBe('rotated');
  });

  it('treats deleting a missing secret as done', async () => {
    const store = storeWith(new FakeEntraCredential(TOKEN));
    await expect(store.delete('never-set')).resolves.toBeUndefined();
  });

  it('keeps names apart that differ only in punctuation', async () => {
    const store = storeWith(new FakeEntraCredential(TOKEN));
    const names = ['a_b', 'a.b', 'a:b', 'a-b', 'a--b'];
    for (const name of names) await store.set(name, `value of ${name}`);
    for (const name of names) expect(await store.get(name)).toBe(`value of ${name}`);
    expect(new Set(names.map(keyVaultSecretName)).size).toBe(names.length);
  });

  it('reports a rejected token as access denied', async () => {
    const store = storeWith(new FakeEntraCredential('a-token-the-vault-does-not-accept'));
    const failure = store.get('smtp_password');
    await expect(failure).rejects.toBeInstanceOf(SecretStoreError);
    await expect(failure).rejects.toMatchObject({
      code: 'SECRET_STORE_ACCESS_DENIED',
      message: expect.stringMatching(/smtp_password.*access denied \(HTTP 401\)/),
    });
  });

  it('verifies the vault certificate: a client that does not trust it gets nothing', async () => {
    const untrusting = new KeyVaultSecretStore(vault.url, new FakeEntraCredential(TOKEN), {
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    });
    vault.requests.length = 0;

    await expect(untrusting.get('smtp_password')).rejects.toMatchObject({
      code: 'SECRET_STORE_FAILED',
      message: expect.stringMatching(/certificate/i),
    });
    expect(vault.requests).toEqual([]);
  });

  it('rejects a name Key Vault cannot hold before sending anything', async () => {
    const store = storeWith(new FakeEntraCredential(TOKEN));
    vault.requests.length = 0;

    await expect(store.set('tenant/../admin', 'x')).rejects.toMatchObject({ code: 'SECRET_NAME_INVALID' });
    await expect(store.get('a_'.repeat(50))).rejects.toMatchObject({
      code: 'SECRET_NAME_INVALID',
      message: expect.stringContaining('longer than 127'),
    });
    await expect(store.delete('')).rejects.toMatchObject({ code: 'SECRET_NAME_INVALID' });
    expect(vault.requests).toEqual([]);
  });
});
