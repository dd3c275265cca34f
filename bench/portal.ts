// bench/portal: time to a fully drawn My team and Course completion dashboard in headless Chromium
// (Debian's, through playwright-core), on the demo's data (the demo's acme-health tenant: 3,000
// users, seed 101, four years), cold (gateway result cache emptied, fresh browser profile) and warm
// (gateway cache warm, the browser's cache warm), and the JavaScript each page ships (the transfer
// sizes of its scripts on the cold load). Target: warm <= 1.5 s.
// Run: npm run bench:portal [-- <users>]
import path from 'node:path';
import { generateExport } from '@kineo/generator';
import { startTestStack } from '@kineo/testkit';
import { Redis } from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, kineo, repoRoot, startPortal, startService, stopService, type Service } from '../apps/portal/e2e/stack.harness';
import { fmt } from './support';

const users = Number(process.argv[2] ?? 3000);
const RUNS = 5;
const TARGET_WARM_MS = 1500;
const PASSWORD = 'bench-portal-password';
const TENANT = { slug: 'acme-health', name: 'Acme Health Trust' };

interface Screen {
  name: string;
  login: 'admin' | 'manager';
  path: string;
  /** A browser expression, true once every tile has drawn its figures and nothing is loading (in the page, so it is text here). */
  drawn: string;
}

const SCREENS: Screen[] = [
  {
    name: 'My team',
    login: 'manager',
    path: '/dashboards/my-team',
    drawn: `document.querySelectorAll('section[data-tile="reports"] tbody tr').length > 0 && !document.querySelector('[aria-busy]') && !!document.querySelector('[data-testid="as-of"]')`,
  },
  {
    name: 'Course completion',
    login: 'admin',
    path: '/dashboards/course-completion',
    drawn: `document.querySelectorAll('.recharts-bar-rectangle').length > 0 && !document.querySelector('[aria-busy]') && !!document.querySelector('[data-testid="as-of"]')`,
  },
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/** Milliseconds from navigation start until the screen is drawn, read in the page on an animation frame. */
async function timeToDrawn(page: Page, url: string, screen: Screen): Promise<number> {
  await page.goto(url, { waitUntil: 'commit' });
  const handle = await page.waitForFunction(`(${screen.drawn}) && performance.now()`, null, { polling: 'raf', timeout: 60_000 });
  return Number(await handle.jsonValue());
}

/** Bytes of JavaScript the page fetched (transfer sizes; a cold profile, so nothing came from cache). */
function scriptBytes(page: Page): Promise<number> {
  return page.evaluate<number>(`performance.getEntriesByType('resource')
    .filter((e) => e.initiatorType === 'script' || new URL(e.name).pathname.endsWith('.js'))
    .reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize), 0)`);
}

async function signedInContext(browser: Browser, portalUrl: string, email: string) {
  const context = await browser.newContext({ baseURL: portalUrl, locale: 'en-GB', viewport: { width: 1280, height: 860 } });
  const res = await context.request.post('/api/session', { headers: { origin: portalUrl }, data: { email, password: PASSWORD } });
  if (!res.ok()) throw new Error(`sign-in as ${email} failed: HTTP ${res.status()} ${await res.text()}`);
  return context;
}

async function emptyResultCache(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'q:*', 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      if ((cursor = next) === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  const stack = await startTestStack();
  const started: Service[] = [];
  let browser: Browser | undefined;
  try {
    const logDir = path.join(stack.dir, 'logs');
    const gatewayPort = await freePort();
    const env = { ...stack.env, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(gatewayPort), LOG_LEVEL: 'warn' };
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    started.push(await startService('worker', [path.join(repoRoot, 'apps/worker/dist/main.js')], { ...env, LOG_LEVEL: 'info' }, { logLine: 'worker ready' }, logDir));
    started.push(await startService('gateway', [path.join(repoRoot, 'apps/gateway/dist/main.js')], env, { url: `${gatewayUrl}/health/live` }, logDir));

    console.log(`loading the demo tenant (${fmt(users)} users)...`);
    await kineo(['tenant', 'create', TENANT.slug, '--name', TENANT.name, '--plan', 'professional', '--fiscal-start', '4', '--wait'], env);
    const dir = path.join(stack.dir, 'export');
    await generateExport({ dir, users, seed: 101, years: 4, fiscalCalendar: false });
    await kineo(['ingest', TENANT.slug, dir, '--json'], env);
    const top = JSON.parse(
      (
        await kineo(
          ['sql', TENANT.slug, `select manager_user_key from gold.dim_manager_relationship where relationship = 'direct' and manager_user_key > 0 group by 1 order by count(*) desc, 1 limit 1`, '--json'],
          env,
        )
      ).trim(),
    ) as { manager_user_key: number };
    const logins = { admin: `admin@${TENANT.slug}.example`, manager: `manager@${TENANT.slug}.example` };
    await kineo(['user', 'create', logins.admin, '--tenant', TENANT.slug, '--role', 'org_admin', '--password', PASSWORD], env);
    await kineo(['user', 'create', logins.manager, '--tenant', TENANT.slug, '--role', 'manager', '--lms-user-id', String(top.manager_user_key), '--password', PASSWORD], env);

    const portal = await startPortal(env, gatewayUrl, logDir);
    started.push(portal.service);
    const portalUrl = portal.url;

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // One unmeasured visit per screen so the portal's server has compiled and cached its routes.
    for (const screen of SCREENS) {
      const context = await signedInContext(browser, portalUrl, logins[screen.login]);
      await timeToDrawn(await context.newPage(), screen.path, screen);
      await context.close();
    }

    const rows: string[] = [];
    for (const screen of SCREENS) {
      const cold: number[] = [];
      const warm: number[] = [];
      let js = 0;
      for (let run = 0; run < RUNS; run++) {
        await emptyResultCache(stack.redisUrl);
        const context = await signedInContext(browser, portalUrl, logins[screen.login]);
        const page = await context.newPage();
        cold.push(await timeToDrawn(page, screen.path, screen));
        js = await scriptBytes(page);
        // The same tab, the gateway's cache now holding this dashboard: what a returning user waits for.
        warm.push(await timeToDrawn(page, screen.path, screen));
        await context.close();
      }
      const warmMedian = median(warm);
      const line = `| ${screen.name} | ${fmt(median(cold))} ms | ${fmt(warmMedian)} ms | ${(warmMedian / TARGET_WARM_MS).toFixed(2)}x | ${kib(js)} |`;
      console.log(line);
      rows.push(line);
    }
    console.log(`\n| Dashboard | Cold (median of ${RUNS}) | Warm (median of ${RUNS}) | Warm / 1.5 s target | JS shipped |\n|---|---|---|---|---|\n${rows.join('\n')}`);
  } finally {
    await browser?.close();
    for (const service of started.reverse()) await stopService(service);
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
