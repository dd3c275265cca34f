import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { readWorld, type World } from './world';

export type Persona = keyof World['logins'];

interface Fixtures {
  world: World;
  /**
   * Signs `who` in and opens their landing page. Through the portal's own sign-in request (what the
   * form sends) unless `form` is set, when the form is filled in as a person would: the tests of
   * signing in use it; the rest start from a signed-in page without the form's page load, and `to`
   * opens that page instead of the landing page (without loading the landing page first).
   */
  signIn: (who: Persona, options?: { form: true } | { to?: string }) => Promise<void>;
}

/* eslint-disable no-empty-pattern -- Playwright reads a fixture's dependencies from its first parameter's destructuring pattern */
export const test = base.extend<Fixtures>({
  world: async ({}, use) => use(readWorld()),
  baseURL: async ({}, use) => use(readWorld().portalUrl),
  /* eslint-enable no-empty-pattern */
  signIn: async ({ page, world }, use) => {
    await use(async (who, options) => {
      if (options && 'form' in options) {
        await page.goto('/sign-in');
        await page.getByLabel('Email').fill(world.logins[who]);
        await page.getByLabel('Password').fill(world.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
      } else {
        // The page's own request context: the session cookie it sets is the browser's.
        const reply = await page.request.post('/api/session', {
          headers: { origin: world.portalUrl },
          data: { email: world.logins[who], password: world.password },
        });
        const body = (await reply.json()) as { landing?: string; message?: string };
        expect(reply.ok(), `signing in ${who}: ${body.message ?? reply.status()}`).toBe(true);
        await page.goto(options?.to ?? body.landing!);
      }
      await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    });
  },
});

export { expect };

/**
 * axe-core on the page as it is now; serious and critical findings fail the test, named. The same
 * rules in legacy mode: axe runs in the page itself instead of opening a blank page to gather each
 * frame's results, which only cross-origin frames need (the portal has none). On a dashboard that
 * halves each check (3.4-4.6 s to 1.6-1.7 s, same findings), and the suite runs 56 of them.
 */
export async function expectNoSeriousA11yViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).setLegacyMode(true).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `accessibility violations on ${page.url()}`).toEqual([]);
}

const screenshotDir = path.resolve(__dirname, '..', '..', '..', 'docs', 'screenshots');

/** The README shows these; each run refreshes them from the real screens. */
export async function saveScreenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage, animations: 'disabled' });
}
