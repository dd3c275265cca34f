import type { Locator, Page } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, saveScreenshot, test } from './fixtures';
import { gateway } from './gateway';

/**
 * A double-click as a quick hand makes it: both clicks and the dblclick in one go, before React has
 * drawn the button disabled. Playwright's own dblclick() sends each mouse event from the test and
 * waits for it, which gives React time to redraw in between, and so passes whatever the button does.
 */
async function doubleClick(button: Locator): Promise<void> {
  await button.evaluate((b: HTMLElement) => {
    b.click();
    b.click();
    b.dispatchEvent(new MouseEvent('dblclick', { bubbles: true, detail: 2 }));
  });
}

/** The answers to the mutations named that the page receives from now on. */
function answersTo(page: Page, ...fields: string[]): string[] {
  const answers: string[] = [];
  page.on('response', (response) => {
    if (!response.url().endsWith('/api/graphql')) return;
    void response
      .text()
      .then((text) => {
        for (const field of fields) if (text.includes(`"${field}":`)) answers.push(field);
      })
      .catch(() => undefined);
  });
  return answers;
}

test.describe('sign-in and sign-out', () => {
  test('every page tells the browser not to let another site frame it, sniff it or learn its address', async ({ page, signIn }) => {
    const expected = {
      'content-security-policy': "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
    };
    const signInPage = await page.goto('/sign-in');
    expect(signInPage?.headers()).toMatchObject(expected);
    // Not over plain HTTP: HSTS is for the HTTPS ingress only.
    expect(signInPage?.headers()['strict-transport-security']).toBeUndefined();
    await signIn('admin');
    const dashboard = await page.goto('/dashboards/course-completion');
    expect(dashboard?.headers()).toMatchObject(expected);
    const behindTls = await page.request.get('/sign-in', { headers: { 'x-forwarded-proto': 'https' } });
    expect(behindTls.headers()['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  test('the sign-in page has labelled fields and no serious accessibility problem', async ({ page }) => {
    const missing: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 404) missing.push(response.url());
    });
    await page.goto('/sign-in');
    await expect(page.getByRole('heading', { name: 'Sign in to Kineo Analytics' })).toBeVisible();
    await expect(page.getByLabel('Email')).toBeFocused();
    await expectNoSeriousA11yViolations(page);
    await saveScreenshot(page, 'sign-in');
    // The tab's icon is the portal's own, so the browser does not ask for a /favicon.ico that is not there.
    const icon = await page.locator('link[rel="icon"]').first().getAttribute('href');
    expect(icon).toMatch(/^\/icon\.svg/);
    const served = await page.request.get(icon!);
    expect(served.status()).toBe(200);
    expect(served.headers()['content-type']).toContain('image/svg+xml');
    expect(missing).toEqual([]);
  });

  test('a wrong password is refused with a message, and no session cookie is set', async ({ page, world, context }) => {
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(world.logins.admin);
    await page.getByLabel('Password').fill('not-the-password-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('form').getByRole('alert')).toContainText(/email or password/i);
    expect((await context.cookies()).map((c) => c.name)).not.toContain('kineo_session');
  });

  test('an org admin lands on Course completion, sees their organisation, and signs out', async ({ page, world, context, signIn }) => {
    await signIn('admin', { form: true });
    await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
    await expect(page.getByTestId('tenant-name')).toHaveText(world.tenant.name);
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Course completion' })).toHaveAttribute('aria-current', 'page');

    const [cookie] = (await context.cookies()).filter((c) => c.name === 'kineo_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    // The token is nowhere a script can read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('kineo_session');
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).not.toMatch(/ey[A-Za-z0-9_-]{10,}\./);
    // A browser query goes through the portal's proxy with the cookie.
    await expect(page.getByTestId('service-version')).toContainText('Analytics service');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    expect((await context.cookies()).map((c) => c.name)).not.toContain('kineo_session');
    await page.goto('/dashboards/course-completion');
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fdashboards%2Fcourse-completion$/);
    // The session ended at the gateway too: a copy of the cookie taken before is worth nothing.
    const copied = await gateway(world.gatewayUrl, '{ me { email } }', cookie.value).catch((error: Error) => error.message);
    expect(copied).toContain('UNAUTHENTICATED');
  });

  test('a link opened without a session, or a page whose session ends, opens again once signed in, filters and all', async ({ page, world, context }) => {
    const signInHere = async () => {
      await page.getByLabel('Email').fill(world.logins.admin);
      await page.getByLabel('Password').fill(world.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
    };
    // A colleague's link to a cut dashboard, opened before signing in.
    const link = '/dashboards/certification-compliance?Certification.expiresDate=next-90-days&inactive=include';
    await page.goto(link);
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fdashboards%2Fcertification-compliance%3F/);
    await signInHere();
    await expect(page).toHaveURL((url) => `${url.pathname}${url.search}` === link);
    await expect(page.getByRole('heading', { level: 1, name: 'Certification compliance' })).toBeVisible();
    await expect(page.getByTestId('period-days-Expires')).toBeVisible();
    // Counted from today, while "Expiring in 90 days" counts from the data's day: the page says which.
    await expect(page.getByTestId('period-data-day-Expires')).toHaveText('Counted from today. The data is as of 30 June 2026: its figures \u201cin 90 days\u201d count from that day.');

    // The session ends while the page is open (once it has asked all it asks): the next thing done there goes to sign-in, and back.
    await page.waitForLoadState('networkidle');
    await context.clearCookies();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Program progress' }).click();
    await expect(page).toHaveURL(/\/sign-in\?(expired=1&)?next=%2Fdashboards%2Fprogram-progress/);
    await signInHere();
    await expect(page).toHaveURL(/\/dashboards\/program-progress$/);

    // Only the portal's own pages: a link that would leave the portal lands on the role's first page.
    // (Each time off the page first: its queries in flight would meet the cleared cookie and go to sign-in themselves.)
    const signOutHere = async () => {
      await page.goto('about:blank');
      await context.clearCookies();
    };
    await signOutHere();
    // '/dashboards/..//evil.example' is '//evil.example' once the browser resolves its dots.
    for (const elsewhere of ['//evil.example/dashboards/x', '/\\evil.example', 'https://evil.example/dashboards', '/sign-in', '/dashboards/..//evil.example/phish', '/dashboards/%2e%2e//evil.example']) {
      await page.goto(`/sign-in?next=${encodeURIComponent(elsewhere)}`);
      await signInHere();
      await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
      await signOutHere();
    }
  });

  test('a signed-in user whose organisation is suspended is told so, on the next thing they do and on reload, and carries on once it is resumed; ops read why in its audit log', async ({ page, signIn, browser, world }) => {
    // Globex: loaded (so active), and used elsewhere only by its admin, who finds it resumed.
    const slug = world.logins.noCertsAdmin.split('@')[1].replace(/\.example$/, '');
    await signIn('noCertsAdmin');
    const ops = await browser.newContext({ baseURL: world.portalUrl });
    const opsPage = await ops.newPage();
    await opsPage.goto('/sign-in');
    await opsPage.getByLabel('Email').fill(world.logins.ops);
    await opsPage.getByLabel('Password').fill(world.password);
    await opsPage.getByRole('button', { name: 'Sign in' }).click();
    await expect(opsPage.getByRole('button', { name: 'Sign out' })).toBeVisible();
    await opsPage.goto(`/platform/tenants/${slug}`);
    await opsPage.getByRole('button', { name: 'Suspend', exact: true }).click();
    // What suspending does, as it happens: requests refused, sessions kept for the resume.
    const confirm = opsPage.getByRole('form', { name: /^Suspend / });
    await expect(confirm).toContainText('refuses every request');
    await expect(confirm).toContainText('Their sessions are not ended and work again on resume');
    await expect(confirm).not.toContainText('signs out');
    await opsPage.getByLabel('Reason (kept in the audit log; optional)').fill('checking that its people are refused');
    // Double-clicked, as ops do: one request, one suspension (its audit event is counted below).
    const sent = answersTo(opsPage, 'suspendTenant', 'resumeTenant');
    await doubleClick(opsPage.getByRole('button', { name: /^Suspend .+/ }));
    await expect(opsPage.getByRole('button', { name: 'Resume', exact: true })).toBeVisible();
    // Why it is suspended, and who did it, is on its page.
    const suspended = opsPage.getByTestId('audit').locator('tbody tr').filter({ hasText: 'tenant.suspended' }).first();
    await expect(suspended).toContainText(world.logins.ops);
    await expect(suspended).toContainText('reason: checking that its people are refused');
    try {
      // A query from the page the user is on.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Learning activity' }).click();
      await expect(page).toHaveURL(/\/sign-in\?suspended=1&next=%2Fdashboards%2F/);
      await expect(page.getByTestId('tenant-suspended')).toContainText('Your organisation’s access to Kineo Analytics is suspended');
      await expect(page.getByTestId('tenant-suspended')).toContainText('a session that has not expired works again');
      await expect(page.getByTestId('tenant-suspended')).not.toContainText('signed out');
      await expect(page.getByText('Your session has ended')).toHaveCount(0);
      await expectNoSeriousA11yViolations(page);
      // A page rendered by the server says the same.
      await page.goto('/dashboards/course-completion');
      await expect(page).toHaveURL(/\/sign-in\?suspended=1&next=%2Fdashboards%2Fcourse-completion$/);
      await expect(page.getByTestId('tenant-suspended')).toBeVisible();
    } finally {
      try {
        await doubleClick(opsPage.getByRole('button', { name: 'Resume', exact: true }));
        await expect(opsPage.getByRole('button', { name: 'Suspend', exact: true })).toBeVisible();
        // Each double-click sent one request, and wrote one event: newest first, read afresh once any second request would have landed.
        await expect.poll(() => sent.length).toBe(2);
        await opsPage.reload();
        expect(sent).toEqual(['suspendTenant', 'resumeTenant']);
        const events = opsPage.getByTestId('audit').locator('tbody tr');
        await expect(events.nth(0)).toContainText('tenant.resumed');
        await expect(events.nth(1)).toContainText('tenant.suspended');
        await expect(events.filter({ hasText: 'tenant.resumed' })).toHaveCount(1);
        await expect(events.filter({ hasText: 'reason: checking that its people are refused' })).toHaveCount(1);
      } finally {
        await ops.close();
      }
    }
    // Resumed: the same session works again, without signing in.
    await page.goto('/dashboards/course-completion');
    await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
  });

  test('a manager lands on My team', async ({ page, signIn }) => {
    await signIn('manager', { form: true });
    await expect(page).toHaveURL(/\/dashboards\/my-team$/);
  });

  test('Kineo ops land on the platform page, with no organisation', async ({ page, signIn }) => {
    await signIn('ops', { form: true });
    await expect(page).toHaveURL(/\/platform$/);
    await expect(page.getByTestId('tenant-name')).toHaveText('Kineo platform');
  });

  test('the proxy refuses a request from another site and an operation the portal does not ship', async ({ page, signIn, world }) => {
    await signIn('admin');
    const crossSite = await page.request.post('/api/graphql', {
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      data: { documentId: 'sha256:whatever', variables: {} },
    });
    expect(crossSite.status()).toBe(403);
    const unknown = await page.request.post('/api/graphql', {
      headers: { origin: world.portalUrl, 'content-type': 'application/json' },
      data: { documentId: 'sha256:0000', query: 'mutation { login(email: "a", password: "b") { token } }' },
    });
    expect(unknown.status()).toBe(400);
    expect(await unknown.text()).not.toContain('token');
    const signOutCrossSite = await page.request.delete('/api/session', { headers: { origin: 'https://evil.example' } });
    expect(signOutCrossSite.status()).toBe(403);
  });
});

test.describe('your account', () => {
  test('a person changes their password from their account page: a wrong current one is said, their other sign-in ends, this one goes on, and the new password signs in', async ({ page, world, browser }) => {
    const q = JSON.stringify;
    const email = 'password.changer@globex-retail.example';
    const first = 'the first passphrase of mine';
    const next = 'a second passphrase, changed';
    // A viewer of an organisation whose seats no other test counts, invited and accepted through the gateway.
    const { login: admin } = await gateway<{ login: { token: string } }>(world.gatewayUrl, `mutation { login(email: ${q(world.logins.noCertsAdmin)}, password: ${q(world.password)}) { token } }`);
    const { inviteUser } = await gateway<{ inviteUser: { link: string } }>(world.gatewayUrl, `mutation { inviteUser(email: ${q(email)}, role: viewer) { link } }`, admin.token);
    const token = new URL(inviteUser.link).searchParams.get('token') ?? '';
    const { acceptInvitation } = await gateway<{ acceptInvitation: { token: string } }>(world.gatewayUrl, `mutation { acceptInvitation(token: ${q(token)}, password: ${q(first)}) { token } }`);
    // Accepting signs in; that sign-in is done with.
    await gateway(world.gatewayUrl, 'mutation { logout }', acceptInvitation.token);
    // Signed in elsewhere too: another browser.
    const elsewhere = await browser.newContext({ baseURL: world.portalUrl });
    try {
      const other = await elsewhere.newPage();
      expect((await other.request.post('/api/session', { headers: { origin: world.portalUrl }, data: { email, password: first } })).ok()).toBe(true);
      expect((await page.request.post('/api/session', { headers: { origin: world.portalUrl }, data: { email, password: first } })).ok()).toBe(true);
      await page.goto('/');
      await page.getByRole('link', { name: 'password.changer@globex-retail.example Viewer (your account)' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
      await expect(page.getByTestId('account-email')).toHaveText(email);
      await expect(page.getByTestId('other-sessions')).toHaveText('Besides this one, you have 1 other sign-in (other browsers or devices) that can still be used.');
      await expectNoSeriousA11yViolations(page);

      const form = page.getByRole('form', { name: 'Change your password' });
      await form.getByLabel('Current password').fill('not my password at all');
      await form.getByLabel('New password (at least 12 characters)').fill(next);
      await form.getByLabel('New password again').fill(next);
      await form.getByRole('button', { name: 'Change the password' }).click();
      await expect(form.getByRole('alert')).toHaveText('Your current password is not right, so nothing was changed.');
      // Tied to the field it is about, for a screen reader.
      await expect(form.getByLabel('Current password')).toHaveAccessibleDescription('Your current password is not right, so nothing was changed.');
      await expect(page).toHaveURL(/\/account$/);

      await form.getByLabel('Current password').fill(first);
      await form.getByRole('button', { name: 'Change the password' }).click();
      await expect(page.getByRole('status').filter({ hasText: 'Your password is changed.' })).toHaveText('Your password is changed. Your 1 other sign-in ended; this one goes on.');
      await expect(page.getByTestId('other-sessions')).toHaveText('You are signed in here only.');
      await expect(form.getByLabel('Current password')).toHaveValue('');

      // The other browser's session has ended: its next page asks it to sign in.
      await other.goto('/dashboards/course-completion');
      await expect(other).toHaveURL(/\/sign-in/);
      // This one goes on, and only the new password signs in.
      await page.reload();
      await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
      expect((await other.request.post('/api/session', { headers: { origin: world.portalUrl }, data: { email, password: first } })).status()).toBe(401);
      expect((await other.request.post('/api/session', { headers: { origin: world.portalUrl }, data: { email, password: next } })).ok()).toBe(true);
    } finally {
      await elsewhere.close();
    }
  });
});
