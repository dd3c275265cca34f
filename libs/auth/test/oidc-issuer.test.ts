import { settingsSchema } from '@kineo/config';
import { assertIssuerUrl, ENTRA_ISSUER_HOSTS, endpointProblem, type IssuerPolicy } from '../src';

const production: IssuerPolicy = { allowLocal: false, allowedHosts: ENTRA_ISSUER_HOSTS };
const development: IssuerPolicy = { allowLocal: true, allowedHosts: ENTRA_ISSUER_HOSTS };
const ENTRA = 'https://login.microsoftonline.com/7c9e6679-7425-40de-944b-e07fc1f90ae7/v2.0';

function refusal(issuer: string, policy: IssuerPolicy): string {
  try {
    assertIssuerUrl(issuer, policy);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${issuer} was accepted`);
}

describe("where an organisation's Microsoft sign-in issuer may be (the gateway fetches it for anyone who opens the sign-in link)", () => {
  it("in production: Entra ID's host over https only; no loopback, no other host, no http", () => {
    expect(assertIssuerUrl(`${ENTRA}/`, production)).toBe(ENTRA);
    for (const issuer of ['http://127.0.0.1:63799', 'http://localhost:4000/metrics?', 'https://127.0.0.1/v2.0', 'https://evil.example/v2.0', 'http://login.microsoftonline.com/x/v2.0']) {
      expect(refusal(issuer, production)).toMatch(/must use https|must be on login\.microsoftonline\.com \(Kineo's operators can allow more hosts with OIDC_ALLOWED_ISSUER_HOSTS\)/);
    }
    expect(refusal('https://login.microsoftonline.com:8443/x/v2.0', production)).toContain('must be on login.microsoftonline.com');
    expect(refusal(`${ENTRA}?x=1`, production)).toContain('must not have a query or fragment');
    expect(refusal('https://user:pw@login.microsoftonline.com/x/v2.0', production)).toContain('must not carry a user name or password');
  });

  it('in production: the hosts OIDC_ALLOWED_ISSUER_HOSTS adds (a sovereign cloud), and those only', () => {
    const settings = settingsSchema.parse({ OIDC_ALLOWED_ISSUER_HOSTS: 'login.microsoftonline.com, Login.MicrosoftOnline.us' });
    expect(settings.OIDC_ALLOWED_ISSUER_HOSTS).toEqual(['login.microsoftonline.com', 'login.microsoftonline.us']);
    const policy: IssuerPolicy = { allowLocal: false, allowedHosts: settings.OIDC_ALLOWED_ISSUER_HOSTS };
    expect(assertIssuerUrl('https://login.microsoftonline.us/x/v2.0', policy)).toBe('https://login.microsoftonline.us/x/v2.0');
    expect(refusal('https://login.chinacloudapi.cn/x/v2.0', policy)).toContain('must be on login.microsoftonline.com or login.microsoftonline.us');
    expect(settingsSchema.parse({}).OIDC_ALLOWED_ISSUER_HOSTS).toEqual(['login.microsoftonline.com']);
    expect(settingsSchema.safeParse({ OIDC_ALLOWED_ISSUER_HOSTS: 'https://login.microsoftonline.com/' }).success).toBe(false);
  });

  it("in production: the endpoints a discovery document names are held to the same rule (no token endpoint or keys on an internal address)", () => {
    expect(endpointProblem(new URL('https://login.microsoftonline.com/x/oauth2/v2.0/token'), production)).toBeUndefined();
    expect(endpointProblem(new URL('https://169.254.169.254/metadata/identity/oauth2/token'), production)).toContain('must be on login.microsoftonline.com');
    expect(endpointProblem(new URL('https://10.0.0.7/keys'), production)).toContain('must be on login.microsoftonline.com');
    expect(endpointProblem(new URL('http://login.microsoftonline.com/x/keys'), production)).toBe('must use https');
  });

  it('in development and tests: a local identity provider over http on loopback, https anywhere, never http elsewhere', () => {
    expect(assertIssuerUrl('http://127.0.0.1:4010/directory-1/v2.0', development)).toBe('http://127.0.0.1:4010/directory-1/v2.0');
    expect(assertIssuerUrl('https://idp.example/v2.0', development)).toBe('https://idp.example/v2.0');
    expect(refusal('http://login.example.com/x/v2.0', development)).toContain('must use https (http only to this machine');
    expect(endpointProblem(new URL('http://169.254.169.254/metadata'), development)).toContain('must use https');
  });

  it('is the production rule when the caller does not say', () => {
    expect(refusal('http://127.0.0.1:63799', undefined as unknown as IssuerPolicy)).toContain('must use https');
  });
});
