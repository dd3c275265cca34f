import { defineConfig, devices } from '@playwright/test';
import fs from 'node:fs';

// Debian's Chromium, never a downloaded browser (there is no network to download one from here): its
// headless shell (Debian's package chromium-headless-shell, which scripts/setup.sh installs), the
// same release as the `chromium` package without the browser's windowing. The dashboards' tests take
// a quarter less time on it than on the full browser in headless mode (4.6 against 6.1 min), the
// browser being most of the suite's CPU. CHROMIUM_PATH chooses another; without the shell, the full
// browser runs them.
const HEADLESS_SHELL = '/usr/lib/chromium/chromium-headless-shell';
const chromiumPath = process.env.CHROMIUM_PATH ?? (fs.existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : '/usr/lib/chromium/chromium');
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
    // A failed test keeps its trace (each action, the network, the console, the test's source) and
    // a screenshot of the page as it failed. The trace leaves out the DOM snapshots around every
    // action and the screencast: recorded for every test, failed or not, they were about 40 % of a
    // long test's time (the Reports walk 39.6 s with them, 22.1 s without). For a trace with both,
    // run a test with `--trace on`.
    trace: { mode: 'retain-on-failure', snapshots: false, screenshots: false, sources: true },
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromiumPath,
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
