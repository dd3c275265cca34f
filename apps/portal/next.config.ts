import * as path from 'node:path';
import type { NextConfig } from 'next';

// The package scripts set this too; setting it here also covers a bare `npx next build`,
// since Next reads it only after loading this file. There is no network to report to here.
process.env.NEXT_TELEMETRY_DISABLED ??= '1';

/**
 * On every page and route: no other site may frame the portal (clickjacking its buttons: suspend,
 * deactivate, offboard), no plugin content, no <base> or form posting elsewhere, no content-type
 * sniffing, no address of a page (a reset or invitation link's token) sent to another site, and no
 * camera, microphone or location. Scripts are not restricted by the policy: Next's inline bootstrap
 * would need a nonce per request; the gateway's answers are rendered as text by React.
 */
const SECURITY_HEADERS = [
  { key: 'Content-Security-Policy', value: "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'" },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=()' },
];

const nextConfig: NextConfig = {
  async headers() {
    return [
      { source: '/:path*', headers: SECURITY_HEADERS },
      // Browsers take HSTS only over HTTPS: behind Azure's ingress, which terminates TLS and says so.
      {
        source: '/:path*',
        has: [{ type: 'header', key: 'x-forwarded-proto', value: 'https' }],
        headers: [{ key: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' }],
      },
    ];
  },
  // Required from node_modules at run time rather than bundled: it is CommonJS built by tsc, and its
  // secret stores pull in the Azure SDK, which the portal never calls.
  serverExternalPackages: ['@kineo/config'],
  poweredByHeader: false,
  reactStrictMode: true,
  // The container image (infra/docker/portal.Dockerfile) sets NEXT_OUTPUT=standalone to get a
  // self-contained server with only the files it traces; `next dev`/`next start` stay as they were.
  ...(process.env.NEXT_OUTPUT === 'standalone'
    ? { output: 'standalone' as const, outputFileTracingRoot: path.resolve(process.cwd(), '../..') }
    : {}),
};

export default nextConfig;
