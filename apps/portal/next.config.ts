import * as path from 'node:path';
import type { NextConfig } from 'next';

// The package scripts set this too; setting it here also covers a bare `npx next build`,
// since Next reads it only after loading this file. There is no network to report to here.
process.env.NEXT_TELEMETRY_DISABLED ??= '1';

const nextConfig: NextConfig = {
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
