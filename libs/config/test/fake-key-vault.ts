import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

/** A certificate for 127.0.0.1 and localhost that the test trusts explicitly, nothing else does. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kineo-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'pipe' },
    );
    return {
      key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Stands in for Entra ID: hands out one fixed token and remembers what was asked of it. */
export class FakeEntraCredential implements TokenCredential {
  readonly requests: { scopes: string[]; tenantId?: string }[] = [];

  constructor(private readonly token: string) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    this.requests.push({ scopes: ([] as string[]).concat(scopes), tenantId: options?.tenantId });
    return { token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

export interface RecordedRequest {
  method: string;
  path: string;
  apiVersion: string | null;
  authorization: string | undefined;
  body: string;
}

interface StoredSecret {
  name: string;
  value: string;
  version: string;
  created: number;
}

interface DeletedSecret extends StoredSecret {
  deletedDate: number;
}

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/**
 * The subset of the Key Vault REST API that SecretClient uses for get, set, delete and purge, with
 * the service's challenge-based bearer authentication and soft delete. Names are case-insensitive,
 * as in the real service.
 */
export class FakeKeyVault {
  readonly requests: RecordedRequest[] = [];
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly deleted = new Map<string, DeletedSecret>();

  private constructor(
    private readonly server: https.Server,
    readonly url: string,
    readonly ca: string,
    private readonly acceptedToken: string,
  ) {}

  static async start(acceptedToken: string): Promise<FakeKeyVault> {
    const { key, cert } = selfSignedCertificate();
    const server = https.createServer({ key, cert });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const vault = new FakeKeyVault(server, `https://localhost:${port}`, cert, acceptedToken);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const { status, body, headers } = vault.handle(req, Buffer.concat(chunks).toString('utf8'));
        res.writeHead(status, {
          ...headers,
          ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      });
    });
    return vault;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((e) => (e ? reject(e) : resolve())));
  }

  /** Requests that carried a bearer token, i.e. everything after the authentication challenge. */
  authorizedRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.authorization !== undefined);
  }

  private handle(
    req: IncomingMessage,
    body: string,
  ): { status: number; body?: unknown; headers?: Record<string, string> } {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      apiVersion: url.searchParams.get('api-version'),
      authorization: req.headers.authorization,
      body,
    });

    const challenge = {
      'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`,
    };
    if (!req.headers.authorization) {
      return { status: 401, headers: challenge, body: error('Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.') };
    }
    if (req.headers.authorization !== `Bearer ${this.acceptedToken}`) {
      return { status: 401, headers: challenge, body: error('Unauthorized', 'AKV10022: Invalid bearer token.') };
    }
    if (!url.searchParams.get('api-version')) {
      return { status: 400, body: error('BadParameter', 'The api-version query parameter is required.') };
    }

    // "/secrets/{name}" leaves version undefined; "/secrets/{name}/" (the latest version) leaves "".
    const [, collection, rawName = '', version, ...extra] = url.pathname.split('/');
    const name = decodeURIComponent(rawName);
    const key = name.toLowerCase();
    const route = extra.length > 0 ? 'unsupported' : `${req.method} /${collection}${version === undefined ? '' : '/version'}`;

    if (route === 'PUT /secrets') {
      if (this.deleted.has(key)) {
        return {
          status: 409,
          body: error('Conflict', `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`),
        };
      }
      const { value } = JSON.parse(body) as { value?: unknown };
      if (typeof value !== 'string') return { status: 400, body: error('BadParameter', 'Property value is required.') };
      const now = Math.floor(Date.now() / 1000);
      const secret = { name, value, version: randomUUID().replace(/-/g, ''), created: this.secrets.get(key)?.created ?? now };
      this.secrets.set(key, secret);
      return { status: 200, body: this.bundle(secret) };
    }

    if (route === 'GET /secrets/version') {
      const secret = this.secrets.get(key);
      if (!secret || (version !== '' && version !== secret.version)) return notFound(name);
      return { status: 200, body: this.bundle(secret) };
    }

    if (route === 'DELETE /secrets') {
      const secret = this.secrets.get(key);
      if (!secret) return notFound(name);
      this.secrets.delete(key);
      const gone = { ...secret, deletedDate: Math.floor(Date.now() / 1000) };
      this.deleted.set(key, gone);
      return { status: 200, body: this.deletedBundle(gone) };
    }

    if (route === 'GET /deletedsecrets') {
      const gone = this.deleted.get(key);
      return gone ? { status: 200, body: this.deletedBundle(gone) } : notFound(name);
    }

    if (route === 'DELETE /deletedsecrets') {
      if (!this.deleted.delete(key)) return notFound(name);
      return { status: 204 };
    }

    return { status: 400, body: error('BadParameter', `Unsupported request ${req.method} ${url.pathname}`) };
  }

  private bundle(secret: StoredSecret) {
    return {
      value: secret.value,
      id: `${this.url}/secrets/${secret.name}/${secret.version}`,
      attributes: {
        enabled: true,
        created: secret.created,
        updated: Math.floor(Date.now() / 1000),
        recoveryLevel: 'Recoverable+Purgeable',
        recoverableDays: 90,
      },
    };
  }

  private deletedBundle(secret: DeletedSecret) {
    const { value: _value, ...withoutValue } = this.bundle(secret);
    return {
      ...withoutValue,
      recoveryId: `${this.url}/deletedsecrets/${secret.name}`,
      deletedDate: secret.deletedDate,
      scheduledPurgeDate: secret.deletedDate + 90 * 86_400,
    };
  }
}

function error(code: string, message: string) {
  return { error: { code, message } };
}

function notFound(name: string) {
  return {
    status: 404,
    body: error('SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`),
  };
}
