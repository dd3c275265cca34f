import { defineConfig, devices } from '@playwright/test';

// Debian's chromium, never a downloaded browser (there is no network to download one from here).
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
process.env.NEXT_TELEMETRY_DISABLED = '1';

export default defineConfig({
  testDir: './e2e',
  // The global setup starts the stack, gateway, worker and portal once; the tests share them.
  globalSetup: './e2e/global.setup.ts',
  // Two shared cores: one browser at a time keeps the run steady and its screenshots deterministic.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  reporter: [['list']],
  timeout: 60_000,
  expect: { timeout: 15_000 },
  outputDir: './test-results',
  use: {
    ...devices['Desktop Chrome'],
    browserName: 'chromium',
    locale: 'en-GB',
    timezoneId: 'UTC',
    viewport: { width: 1280, height: 860 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
