import { createHash } from 'node:crypto';
import type { SecretStore } from '@kineo/config';
import { AuditLog, dbCall, type PrismaClient } from '@kineo/db';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { AuthError } from './auth.exception';
import { assertTenantUsable, type AuthService, type LoginOrigin, type LoginResult } from './auth.service';
import { normalizeEmail } from './email.util';
import type { AdminActor } from './invitation.service';
import { newOpaqueToken } from './opaque-token.util';
import { loadJwtSecret } from './session-token.service';

/** What an org admin configures for Microsoft Entra ID sign-in. */
export interface OidcConfigInput {
  /** e.g. https://login.microsoftonline.com/<directory (tenant) id>/v2.0 */
  issuer: string;
  clientId: string;
  allowedDomains: string[];
  /** The app registration's client secret; kept in the secret store. Omitted: the one stored stays. */
  clientSecret?: string;
}

export interface SignInOptions {
  password: boolean;
  microsoft: boolean;
}

/** The redirect that starts a sign-in, and the cookie that ties its answer to this browser. */
export interface OidcStart {
  url: string;
  /** Value of the short-lived state cookie (a signed token with the state, nonce and PKCE verifier). */
  stateCookie: string;
}

export const OIDC_STATE_TTL_SECONDS = 600;
const STATE_AUDIENCE = 'kineo-oidc-state';
const DISCOVERY_TTL_MS = 3600_000;

export function oidcClientSecretName(tenantId: string): string {
  return `oidc-client-secret-${tenantId}`;
}

const discoverySchema = z.object({
  issuer: z.string().min(1),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
});
type Discovery = z.infer<typeof discoverySchema>;

const stateSchema = z.object({ tenant: z.string(), state: z.string(), nonce: z.string(), verifier: z.string() });

function oidcFailed(message: string, details: Record<string, unknown> = {}): AuthError {
  return new AuthError('OIDC_FAILED', `Microsoft sign-in failed: ${message}`, details);
}

/** https, or http to this machine only (a development or test identity provider). */
export function assertIssuerUrl(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new AuthError('USER_INPUT_INVALID', `The issuer "${issuer}" is not a URL; Entra ID's is https://login.microsoftonline.com/<directory id>/v2.0.`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new AuthError('USER_INPUT_INVALID', `The issuer "${issuer}" must use https.`);
  }
  return issuer.replace(/\/+$/, '');
}

function assertDomains(domains: string[]): string[] {
  return [...new Set(domains.map((d) => d.trim().toLowerCase().replace(/^@/, '')))].map((domain) => {
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain)) throw new AuthError('USER_INPUT_INVALID', `"${domain}" is not an e-mail domain (like contoso.com).`);
    return domain;
  });
}

/**
 * Sign-in with each tenant's own Microsoft Entra ID (OpenID Connect, authorization code with PKCE).
 * The ID token is checked with jose against the issuer's published keys: RS256 only, issuer,
 * audience (the tenant's client id), expiry and the nonce of this sign-in. The e-mail it names must
 * belong to an existing member of the tenant: nobody gets an account just by having a Microsoft login.
 */
export class OidcService {
  private readonly audit: AuditLog;
  private readonly discovery = new Map<string, { at: number; value: Promise<Discovery> }>();
  private readonly keySets = new Map<string, JWTVerifyGetKey>();
  private stateKey?: Promise<Uint8Array>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly secrets: SecretStore,
    private readonly auth: AuthService,
  ) {
    this.audit = new AuditLog(prisma);
  }

  async configure(actor: AdminActor, input: OidcConfigInput): Promise<void> {
    const issuer = assertIssuerUrl(input.issuer.trim());
    const clientId = input.clientId.trim();
    if (!clientId) throw new AuthError('USER_INPUT_INVALID', "The client id is empty; it is the app registration's Application (client) ID.");
    const allowedDomains = assertDomains(input.allowedDomains);
    if (input.clientSecret !== undefined) await this.secrets.set(oidcClientSecretName(actor.tenantId), input.clientSecret);
    await dbCall(() =>
      this.prisma.oidcProvider.upsert({
        where: { tenantId: actor.tenantId },
        create: { tenantId: actor.tenantId, issuer, clientId, allowedDomains },
        update: { issuer, clientId, allowedDomains, enabled: true },
      }),
    );
    await this.audit.record({
      actor: actor.userId,
      action: 'oidc.configured',
      tenantId: actor.tenantId,
      details: { issuer, clientId, allowedDomains, clientSecretChanged: input.clientSecret !== undefined },
    });
  }

  async disable(actor: AdminActor): Promise<void> {
    await dbCall(() => this.prisma.oidcProvider.updateMany({ where: { tenantId: actor.tenantId }, data: { enabled: false } }));
    await this.audit.record({ actor: actor.userId, action: 'oidc.disabled', tenantId: actor.tenantId });
  }

  /** How people of a tenant can sign in; the same answer shape for an unknown tenant, so it reveals nothing. */
  async signInOptions(tenantSlug: string): Promise<SignInOptions> {
    const provider = await dbCall(() => this.prisma.oidcProvider.findFirst({ where: { tenant: { slug: tenantSlug.trim(), status: { in: ['active', 'provisioning'] } }, enabled: true } }));
    return { password: true, microsoft: provider !== null };
  }

  /** The Entra ID authorize URL to send the browser to, and the state cookie to set with it. */
  async start(tenantSlug: string, redirectUri: string): Promise<OidcStart> {
    const { provider } = await this.providerOf(tenantSlug);
    const discovery = await this.discover(provider.issuer);
    const state = newOpaqueToken();
    const nonce = newOpaqueToken();
    const verifier = newOpaqueToken();
    const url = new URL(discovery.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: provider.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      response_mode: 'query',
      scope: 'openid email profile',
      state,
      nonce,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const stateCookie = await new SignJWT({ tenant: tenantSlug, state, nonce, verifier })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience(STATE_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${OIDC_STATE_TTL_SECONDS}s`)
      .sign(await this.key());
    return { url: url.toString(), stateCookie };
  }

  /** Finishes a sign-in from the authorize redirect: exchanges the code, checks the ID token, signs the member in. */
  async finish(
    tenantSlug: string,
    answer: { code?: string; state?: string; error?: string; errorDescription?: string },
    stateCookie: string | undefined,
    redirectUri: string,
    origin: LoginOrigin = {},
  ): Promise<LoginResult> {
    if (answer.error) throw oidcFailed(`Microsoft answered "${answer.error}"${answer.errorDescription ? `: ${answer.errorDescription}` : ''}.`);
    const saved = await this.readState(stateCookie);
    if (!answer.state || saved.state !== answer.state || saved.tenant !== tenantSlug) {
      throw oidcFailed('the answer does not belong to a sign-in started in this browser (state mismatch); start again.');
    }
    if (!answer.code) throw oidcFailed('the answer has no authorization code.');
    const { tenant, provider } = await this.providerOf(tenantSlug);
    const discovery = await this.discover(provider.issuer);
    const idToken = await this.exchange(discovery, provider.clientId, await this.secrets.get(oidcClientSecretName(tenant.id)), answer.code, saved.verifier, redirectUri);
    const claims = await this.verifyIdToken(idToken, discovery, provider.clientId, saved.nonce);

    const raw = typeof claims.email === 'string' ? claims.email : typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined;
    if (!raw || !raw.includes('@')) throw oidcFailed('the Microsoft account has no e-mail address.');
    const email = normalizeEmail(raw);
    const domain = email.slice(email.lastIndexOf('@') + 1);
    const refuse = async (reason: string, message: string): Promise<never> => {
      await this.audit.record({ actor: 'anonymous', action: 'auth.login_failed', tenantId: tenant.id, details: { method: 'oidc', email, reason, ...origin } });
      throw new AuthError('FORBIDDEN', message, { email });
    };
    if (provider.allowedDomains.length > 0 && !provider.allowedDomains.includes(domain)) {
      return refuse('domain_not_allowed', `${email} may not sign in to ${tenant.name} with Microsoft: only ${provider.allowedDomains.join(', ')} addresses may.`);
    }
    const membership = await dbCall(() =>
      this.prisma.membership.findFirst({ where: { tenantId: tenant.id, deactivatedAt: null, user: { email, status: 'active' } }, include: { tenant: true } }),
    );
    if (!membership) {
      return refuse('not_a_member', `${email} has no access to ${tenant.name}. Ask your administrator for an invitation, then sign in with Microsoft again.`);
    }
    return this.auth.openSession(membership.userId, membership, 'oidc', origin);
  }

  private async providerOf(tenantSlug: string) {
    const tenant = await dbCall(() => this.prisma.tenant.findUnique({ where: { slug: tenantSlug }, include: { oidcProvider: true } }));
    const provider = tenant?.oidcProvider;
    if (!tenant || !provider?.enabled) {
      throw new AuthError('OIDC_NOT_CONFIGURED', `The organisation "${tenantSlug}" does not use Microsoft sign-in; sign in with e-mail and password.`, { tenant: tenantSlug });
    }
    assertTenantUsable(tenant);
    return { tenant, provider };
  }

  private discover(issuer: string): Promise<Discovery> {
    const cached = this.discovery.get(issuer);
    if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.value;
    const value = (async () => {
      const url = `${issuer}/.well-known/openid-configuration`;
      let body: unknown;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        body = await response.json();
      } catch (error) {
        throw oidcFailed(`could not read the identity provider's configuration at ${url} (${error instanceof Error ? error.message : String(error)}).`);
      }
      const parsed = discoverySchema.safeParse(body);
      if (!parsed.success) throw oidcFailed(`the configuration at ${url} lacks ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}.`);
      // Entra's v2.0 document states its issuer exactly; a different one is a wrong or spoofed configuration.
      if (parsed.data.issuer.replace(/\/+$/, '') !== issuer) throw oidcFailed(`the configuration at ${url} names the issuer "${parsed.data.issuer}", not "${issuer}".`);
      return parsed.data;
    })();
    value.catch(() => this.discovery.delete(issuer));
    this.discovery.set(issuer, { at: Date.now(), value });
    return value;
  }

  private async exchange(discovery: Discovery, clientId: string, clientSecret: string | undefined, code: string, verifier: string, redirectUri: string): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: redirectUri, code_verifier: verifier });
    if (clientSecret) form.set('client_secret', clientSecret);
    let response: Response;
    try {
      response = await fetch(discovery.token_endpoint, { method: 'POST', body: form, headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw oidcFailed(`could not reach the token endpoint ${discovery.token_endpoint} (${error instanceof Error ? error.message : String(error)}).`);
    }
    const body = (await response.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown; error_description?: unknown };
    if (!response.ok || typeof body.id_token !== 'string') {
      const why = typeof body.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : `HTTP ${response.status}`;
      throw oidcFailed(`the code was not accepted (${why}).`);
    }
    return body.id_token;
  }

  private async verifyIdToken(idToken: string, discovery: Discovery, clientId: string, nonce: string) {
    let keys = this.keySets.get(discovery.jwks_uri);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
      this.keySets.set(discovery.jwks_uri, keys);
    }
    try {
      const { payload } = await jwtVerify(idToken, keys, { algorithms: ['RS256'], issuer: discovery.issuer, audience: clientId, requiredClaims: ['exp', 'iat', 'sub'] });
      if (payload.nonce !== nonce) throw oidcFailed('the ID token was not issued for this sign-in (nonce mismatch).');
      return payload;
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw oidcFailed(`the ID token was refused (${error.code}).`);
      throw error;
    }
  }

  private key(): Promise<Uint8Array> {
    this.stateKey ??= loadJwtSecret(this.secrets).catch((error: unknown) => {
      this.stateKey = undefined;
      throw error;
    });
    return this.stateKey;
  }

  private async readState(cookie: string | undefined) {
    if (!cookie) throw oidcFailed('this browser has no sign-in in progress (the state cookie is missing or expired); start again.');
    try {
      const { payload } = await jwtVerify(cookie, await this.key(), { algorithms: ['HS256'], audience: STATE_AUDIENCE });
      return stateSchema.parse(payload);
    } catch {
      throw oidcFailed('the sign-in in progress is not valid or took longer than 10 minutes; start again.');
    }
  }
}
