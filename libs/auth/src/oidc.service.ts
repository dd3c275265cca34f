import { createHash, timingSafeEqual } from 'node:crypto';
import type { SecretStore } from '@kineo/config';
import { AuditLog, dbCall, type PrismaClient } from '@kineo/db';
import { createRemoteJWKSet, EncryptJWT, errors as joseErrors, jwtDecrypt, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
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

/** Where an organisation's identity provider, and the endpoints its discovery document names, may be. */
export interface IssuerPolicy {
  /** Development and tests: https anywhere, and http to this machine (a local identity provider). */
  allowLocal: boolean;
  /** Otherwise (production): https on these hosts only. */
  allowedHosts: readonly string[];
}

/** Entra ID's sign-in host: the only one allowed in production unless OIDC_ALLOWED_ISSUER_HOSTS adds more. */
export const ENTRA_ISSUER_HOSTS: readonly string[] = ['login.microsoftonline.com'];
const PRODUCTION_POLICY: IssuerPolicy = { allowLocal: false, allowedHosts: ENTRA_ISSUER_HOSTS };

export const OIDC_STATE_TTL_SECONDS = 600;
const STATE_AUDIENCE = 'kineo-oidc-state';
const COMPLETION_AUDIENCE = 'kineo-oidc-completion';
/** How long the portal's server has to redeem a finished sign-in's code. */
export const OIDC_COMPLETION_TTL_SECONDS = 60;
/** Said when a sign-in's code comes back without the nonce of the browser that started it. */
export const NOT_STARTED_HERE = 'This sign-in was not started in this browser; sign in again.';
const DISCOVERY_TTL_MS = 3600_000;
/** A failed discovery is not fetched again for this long: anonymous sign-in starts cannot make the gateway fetch at will. */
export const DISCOVERY_FAILURE_TTL_MS = 60_000;
/** The portal's nonce for one sign-in, handed back with the session (base64url, at least 128 bits). */
const PORTAL_NONCE = /^[A-Za-z0-9_-]{22,128}$/;

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

const completionSchema = z.object({ membershipId: z.string(), userId: z.string(), portalNonce: z.string(), jti: z.string() });

/** Marks a key used, for `ttlSeconds`; false when it was already (Redis SET NX in the gateway). */
export type SpendOnce = (key: string, ttlSeconds: number) => Promise<boolean>;
const stateSchema = z.object({ tenant: z.string(), state: z.string(), nonce: z.string(), verifier: z.string(), portalNonce: z.string() });

function oidcFailed(message: string, details: Record<string, unknown> = {}): AuthError {
  return new AuthError('OIDC_FAILED', `Microsoft sign-in failed: ${message}`, details);
}

/** Microsoft sign-in cannot work because of how it is configured or where its identity provider is; the detail is for the log and the org admin. */
function oidcUnavailable(message: string): AuthError {
  return new AuthError('OIDC_UNAVAILABLE', `Microsoft sign-in is not working: ${message}`);
}

/** Why the gateway may not fetch this identity provider URL under the policy, or undefined when it may. */
export function endpointProblem(url: URL, policy: IssuerPolicy): string | undefined {
  if (url.username || url.password) return 'must not carry a user name or password';
  if (policy.allowLocal) {
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return undefined;
    return 'must use https (http only to this machine, for a development identity provider)';
  }
  if (url.protocol !== 'https:') return 'must use https';
  if (!policy.allowedHosts.includes(url.host.toLowerCase())) {
    return `must be on ${policy.allowedHosts.join(' or ')} (Kineo's operators can allow more hosts with OIDC_ALLOWED_ISSUER_HOSTS)`;
  }
  return undefined;
}

/**
 * The issuer an org admin typed, as the gateway will use it. In production: https on an allowed host
 * (Entra ID's login.microsoftonline.com unless OIDC_ALLOWED_ISSUER_HOSTS says more). In development
 * and tests: https, or http to this machine only (a local identity provider).
 */
export function assertIssuerUrl(issuer: string, policy: IssuerPolicy = PRODUCTION_POLICY): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new AuthError('USER_INPUT_INVALID', `The issuer "${issuer}" is not a URL; Entra ID's is https://login.microsoftonline.com/<directory id>/v2.0.`);
  }
  const problem = endpointProblem(url, policy);
  if (problem) throw new AuthError('USER_INPUT_INVALID', `The issuer "${issuer}" ${problem}; Entra ID's is https://login.microsoftonline.com/<directory id>/v2.0.`);
  if (url.search || url.hash) throw new AuthError('USER_INPUT_INVALID', `The issuer "${issuer}" must not have a query or fragment; Entra ID's is https://login.microsoftonline.com/<directory id>/v2.0.`);
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
  private readonly discovery = new Map<string, { at: number; ttl: number; value: Promise<Discovery> }>();
  private readonly keySets = new Map<string, JWTVerifyGetKey>();
  private stateKey?: Promise<Uint8Array>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly secrets: SecretStore,
    private readonly auth: AuthService,
    private readonly policy: IssuerPolicy = PRODUCTION_POLICY,
    /** Makes each finished sign-in's code single-use; without it a code can be redeemed again within its minute. */
    private readonly spendOnce?: SpendOnce,
  ) {
    this.audit = new AuditLog(prisma);
  }

  async configure(actor: AdminActor, input: OidcConfigInput): Promise<void> {
    const issuer = assertIssuerUrl(input.issuer.trim(), this.policy);
    const clientId = input.clientId.trim();
    if (!clientId) throw new AuthError('USER_INPUT_INVALID', "The client id is empty; it is the app registration's Application (client) ID.");
    const allowedDomains = assertDomains(input.allowedDomains);
    // Read the directory's configuration now, afresh: the org admin learns what is wrong, and a sign-in page never has to say.
    try {
      await this.discover(issuer, true);
    } catch (error) {
      if (error instanceof AuthError && error.code === 'OIDC_UNAVAILABLE') {
        throw new AuthError('USER_INPUT_INVALID', `Microsoft sign-in was not turned on: ${error.message.replace(/^Microsoft sign-in is not working: /, '')}`);
      }
      throw error;
    }
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

  /**
   * The Entra ID authorize URL to send the browser to, and the state cookie to set with it.
   * `portalNonce` is the portal's proof that this browser started the sign-in: kept in the state and
   * handed back with the session, so the portal completes only a sign-in it started in this browser.
   */
  async start(tenantSlug: string, redirectUri: string, portalNonce: string | undefined): Promise<OidcStart> {
    if (!portalNonce || !PORTAL_NONCE.test(portalNonce)) throw oidcFailed('the sign-in was not started from the portal (no nonce); start again from the sign-in page.');
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
    const stateCookie = await new SignJWT({ tenant: tenantSlug, state, nonce, verifier, portalNonce })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience(STATE_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${OIDC_STATE_TTL_SECONDS}s`)
      .sign(await this.key());
    return { url: url.toString(), stateCookie };
  }

  /**
   * Finishes a sign-in from the authorize redirect: exchanges the code, checks the ID token, finds
   * the member. Opens no session: the answer is a code (encrypted, a minute long) naming the member
   * and the portal's nonce from the start; `complete` opens the session for it, given that nonce.
   */
  async finish(
    tenantSlug: string,
    answer: { code?: string; state?: string; error?: string; errorDescription?: string },
    stateCookie: string | undefined,
    redirectUri: string,
    origin: LoginOrigin = {},
  ): Promise<string> {
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
      throw new AuthError('FORBIDDEN', message, { email, reason });
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
    return new EncryptJWT({ membershipId: membership.id, userId: membership.userId, portalNonce: saved.portalNonce })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setAudience(COMPLETION_AUDIENCE)
      .setJti(newOpaqueToken())
      .setIssuedAt()
      .setExpirationTime(`${OIDC_COMPLETION_TTL_SECONDS}s`)
      .encrypt(await this.completionKey());
  }

  /**
   * Opens the session for a finished sign-in's code, only with the nonce the portal started it with
   * (its cookie in the browser that started it): a code taken to another browser opens nothing.
   * The member is looked up again: one deactivated in the meantime is refused.
   */
  async complete(code: string, portalNonce: string, origin: LoginOrigin = {}): Promise<LoginResult> {
    let saved: z.infer<typeof completionSchema>;
    try {
      const { payload } = await jwtDecrypt(code, await this.completionKey(), { audience: COMPLETION_AUDIENCE });
      saved = completionSchema.parse(payload);
    } catch {
      throw oidcFailed('the sign-in code is not valid or older than a minute; start again.');
    }
    const a = Buffer.from(saved.portalNonce);
    const b = Buffer.from(portalNonce);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new AuthError('FORBIDDEN', NOT_STARTED_HERE, { reason: 'not_started_here' });
    if (this.spendOnce && !(await this.spendOnce(`oidc-completion:${saved.jti}`, OIDC_COMPLETION_TTL_SECONDS + 5))) {
      throw oidcFailed('this sign-in code was used already; start again.');
    }
    const membership = await dbCall(() =>
      this.prisma.membership.findFirst({ where: { id: saved.membershipId, userId: saved.userId, deactivatedAt: null, user: { status: 'active' } }, include: { tenant: true } }),
    );
    if (!membership) throw new AuthError('FORBIDDEN', 'Your access to this organisation ended while you were signing in. Ask your administrator.', { reason: 'not_a_member' });
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

  /**
   * The issuer's discovery document, cached for an hour; a failure is cached for a minute, so
   * anonymous sign-in starts do not make the gateway fetch again and again. `fresh`: fetch now
   * (an org admin saving the configuration).
   */
  private discover(issuer: string, fresh = false): Promise<Discovery> {
    const cached = this.discovery.get(issuer);
    if (!fresh && cached && Date.now() - cached.at < cached.ttl) return cached.value;
    const value = (async () => {
      const problem = endpointProblem(new URL(issuer), this.policy);
      if (problem) throw oidcUnavailable(`the issuer ${issuer} ${problem}.`);
      const url = `${issuer}/.well-known/openid-configuration`;
      let response: Response;
      try {
        response = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
      } catch (error) {
        throw oidcUnavailable(`could not read the identity provider's configuration at ${url} (${error instanceof Error ? error.message : String(error)}).`);
      }
      if (!response.ok) throw oidcUnavailable(`could not read the identity provider's configuration at ${url} (HTTP ${response.status}).`);
      const body: unknown = await response.json().catch(() => undefined);
      if (body === undefined) throw oidcUnavailable(`the answer at ${url} is not an OpenID configuration (not JSON).`);
      const parsed = discoverySchema.safeParse(body);
      if (!parsed.success) throw oidcUnavailable(`the configuration at ${url} lacks ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}.`);
      // Entra's v2.0 document states its issuer exactly; a different one is a wrong or spoofed configuration.
      if (parsed.data.issuer.replace(/\/+$/, '') !== issuer) throw oidcUnavailable(`the configuration at ${url} names the issuer "${parsed.data.issuer}", not "${issuer}".`);
      // The gateway fetches the token endpoint and the keys, and sends browsers to the authorize
      // endpoint: each under the same rule as the issuer, so the document cannot point them elsewhere.
      for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
        const bad = endpointProblem(new URL(parsed.data[field]), this.policy);
        if (bad) throw oidcUnavailable(`the configuration at ${url} names a ${field} (${parsed.data[field]}) that ${bad}.`);
      }
      return parsed.data;
    })();
    const entry = { at: Date.now(), ttl: DISCOVERY_TTL_MS, value };
    value.catch(() => {
      entry.at = Date.now();
      entry.ttl = DISCOVERY_FAILURE_TTL_MS;
    });
    this.discovery.set(issuer, entry);
    return value;
  }

  private async exchange(discovery: Discovery, clientId: string, clientSecret: string | undefined, code: string, verifier: string, redirectUri: string): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: redirectUri, code_verifier: verifier });
    if (clientSecret) form.set('client_secret', clientSecret);
    let response: Response;
    try {
      response = await fetch(discovery.token_endpoint, { method: 'POST', body: form, headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000), redirect: 'error' });
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

  /** The key that seals a finished sign-in's code: derived from the session key, for this use only. */
  private async completionKey(): Promise<Uint8Array> {
    return new Uint8Array(createHash('sha256').update('kineo-oidc-completion\0').update(await this.key()).digest());
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
