import type { NextConfig } from 'next';

// The package scripts set this too; setting it here also covers a bare `npx next build`,
// since Next reads it only after loading this file. There is no network to report to here.
process.env.NEXT_TELEMETRY_DISABLED ??= '1';

const nextConfig: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
