import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** What the fake directory puts in the ID token for the next code it hands out. */
export interface IdTokenClaims {
  email?: string;
  preferred_username?: string;
  /** Overrides of the checked claims, to forge bad tokens. */
  nonce?: string;
  aud?: string;
  iss?: string;
  expiresInSeconds?: number;
  /** Sign with a key the JWKS does not publish. */
  foreignKey?: boolean;
}

interface PendingCode {
  nonce: string;
  challenge: string;
  redirectUri: string;
  claims: IdTokenClaims;
}

/**
 * A stand-in for a tenant's Microsoft Entra ID on loopback: OpenID discovery, a JWKS with one RS256
 * key, and a token endpoint that checks the code, redirect URI, client credentials and PKCE verifier
 * before answering with a signed ID token. "Signing the user in" is `authorize`, which plays the
 * browser's visit to the authorize URL and returns the code Entra would redirect back with.
 */
export class FakeOidcProvider {
  readonly clientId = 'kineo-test-client';
  readonly clientSecret = 'test-client-secret';
  private server?: http.Server;
  private key!: CryptoKey;
  private foreign!: CryptoKey;
  private jwk!: JWK;
  private readonly codes = new Map<string, PendingCode>();
  private nextCode = 0;
  base = '';

  get issuer(): string {
    return `${this.base}/directory-1/v2.0`;
  }

  async start(): Promise<void> {
    const pair = await generateKeyPair('RS256', { extractable: true });
    this.key = pair.privateKey;
    this.jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    this.foreign = (await generateKeyPair('RS256')).privateKey;
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: Error) => {
        response.writeHead(500).end(error.message);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Plays the user signing in at the authorize URL; returns the code and state Entra would send back. */
  authorize(authorizeUrl: string, claims: IdTokenClaims): { code: string; state: string } {
    const url = new URL(authorizeUrl);
    const param = (name: string) => {
      const value = url.searchParams.get(name);
      if (!value) throw new Error(`the authorize URL has no ${name}`);
      return value;
    };
    if (param('client_id') !== this.clientId) throw new Error(`unexpected client_id ${param('client_id')}`);
    if (param('code_challenge_method') !== 'S256') throw new Error('PKCE S256 expected');
    const code = `code-${++this.nextCode}`;
    this.codes.set(code, { nonce: param('nonce'), challenge: param('code_challenge'), redirectUri: param('redirect_uri'), claims });
    return { code, state: param('state') };
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', this.base).pathname;
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.method === 'GET' && path === '/directory-1/v2.0/.well-known/openid-configuration') {
      return json(200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.base}/directory-1/oauth2/v2.0/authorize`,
        token_endpoint: `${this.base}/directory-1/oauth2/v2.0/token`,
        jwks_uri: `${this.base}/directory-1/discovery/v2.0/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (request.method === 'GET' && path === '/directory-1/discovery/v2.0/keys') return json(200, { keys: [this.jwk] });
    if (request.method === 'POST' && path === '/directory-1/oauth2/v2.0/token') {
      let body = '';
      for await (const chunk of request) body += String(chunk);
      const form = new URLSearchParams(body);
      const pending = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      if (!pending) return json(400, { error: 'invalid_grant', error_description: 'unknown or used code' });
      if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) return json(401, { error: 'invalid_client' });
      if (form.get('redirect_uri') !== pending.redirectUri) return json(400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
      if (createHash('sha256').update(verifier).digest('base64url') !== pending.challenge) {
        return json(400, { error: 'invalid_grant', error_description: 'PKCE verifier mismatch' });
      }
      const { claims } = pending;
      const idToken = await new SignJWT({
        nonce: claims.nonce ?? pending.nonce,
        ...(claims.email ? { email: claims.email } : {}),
        ...(claims.preferred_username ? { preferred_username: claims.preferred_username } : {}),
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
        .setSubject('entra-object-id')
        .setIssuer(claims.iss ?? this.issuer)
        .setAudience(claims.aud ?? this.clientId)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + (claims.expiresInSeconds ?? 3600))
        .sign(claims.foreignKey ? this.foreign : this.key);
      return json(200, { token_type: 'Bearer', id_token: idToken, access_token: 'unused' });
    }
    response.writeHead(404).end();
  }
}
