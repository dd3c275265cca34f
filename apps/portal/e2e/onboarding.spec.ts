import fs from 'node:fs';
import path from 'node:path';
import { FakeOidcProvider } from '@kineo/testkit';
import type { Locator, Page } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, saveScreenshot, test } from './fixtures';
import { gateway } from './gateway';

const INVITEE = 'new.viewer@hooli.example';
const INVITEE_PASSWORD = 'a viewer with a long password';


// One organisation taken from nothing to published in order: each test starts where the last one left it.
test.describe.configure({ mode: 'serial' });

test.describe('onboarding an organisation', () => {
  test('an org admin uploads an export with a bad row, sees it quarantined with its reason, watches the build publish, and is asked to confirm a fiscal-year change, the page having followed the build to its publish', async ({ page, world, signIn }) => {
    await signIn('onboardAdmin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Onboarding' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Onboarding' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);

    const dir = world.onboard.exportDir;
    const names = fs.readdirSync(dir).filter((f) => /\.(csv|xlsx)$/.test(f));
    const users = fs.readFileSync(path.join(dir, 'users.csv'), 'utf8').trimEnd().split('\n');
    const badRow = users[users.length - 1].replace(/^[^,]*/, 'not-a-number');
    // users.csv, with the bad row, arrives by drag and drop; the rest through the file picker.
    const dropped = await page.evaluateHandle(
      ({ text }) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], 'users.csv', { type: 'text/csv' }));
        return transfer;
      },
      { text: `${[...users, badRow].join('\n')}\n` },
    );
    // Before anything is loaded there is nothing to rebuild: a saved month says so instead of offering it.
    const fiscal = page.getByRole('region', { name: '3. Fiscal year' });
    await fiscal.getByLabel('The fiscal year starts in').selectOption('2');
    await fiscal.getByRole('button', { name: 'Save' }).click();
    await expect(fiscal.getByRole('status')).toContainText('Saved: the fiscal year starts in February from the next build.');
    await expect(fiscal.getByTestId('rebuild-unavailable')).toHaveText('Nothing has been loaded yet, so there is nothing to rebuild; upload the export files first.');
    await expect(fiscal.getByRole('button', { name: 'Rebuild now' })).toHaveCount(0);
    await fiscal.getByLabel('The fiscal year starts in').selectOption('1');
    await fiscal.getByRole('button', { name: 'Save' }).click();
    await expect(fiscal.getByRole('status')).toContainText('Saved: the fiscal year starts in January from the next build.');

    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: dropped });
    await page.getByLabel('Choose files…').setInputFiles(names.filter((n) => n !== 'users.csv').map((n) => path.join(dir, n)));
    const picked = page.locator('table.files tbody tr');
    await expect(picked).toHaveCount(names.length);
    await expect(picked.filter({ hasText: 'users.csv' })).toContainText(/\d+(\.\d)? kB/);
    await page.getByRole('button', { name: new RegExp(`^Upload ${names.length} files`) }).click();

    const report = page.getByTestId('load-report');
    await expect(report.locator('tr[data-file="users.csv"] td').nth(3)).toHaveText('1', { timeout: 60_000 });
    // The build goes through its stages and publishes the first data version.
    await expect(page.getByTestId('build').getByRole('status')).toContainText('Published: the dashboards show data version 1', { timeout: 120_000 });
    await expect(page.getByTestId('build').locator('li[data-status="succeeded"]').first()).toBeVisible();
    const quarantine = page.getByTestId('quarantine');
    await expect(quarantine.locator('tbody tr')).toHaveCount(1);
    await expect(quarantine.locator('tbody tr')).toContainText('users.csv');
    await expect(quarantine.locator('tbody tr')).toContainText('not a whole number');
    await expect(quarantine.locator('tbody tr')).toContainText('not-a-number');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download all quarantined rows/ }).click()]);
    expect(fs.readFileSync(await download.path(), 'utf8')).toContain('not-a-number');

    await expectNoSeriousA11yViolations(page);
    await saveScreenshot(page, 'onboarding');

    // Every manager of the hierarchy just published, in one action, the plan's seats in sight: each
    // invitation takes one.
    const step = page.getByRole('region', { name: '4. Invite your managers' });
    const seatsBefore = await seatsShown(step);
    await page.getByRole('button', { name: 'Invite every manager in the hierarchy' }).click();
    const outcome = page.getByRole('status').filter({ hasText: /invited of \d+ managers/ });
    await expect(outcome).toBeVisible();
    // Each count agrees with its noun ("1 already a member", "2 already members").
    await expect(outcome).toHaveText(/^\d+ invited of \d+ managers in the hierarchy; (1 already a member|(?!1 )\d+ already members), \d+ already invited, \d+ without an e-mail address in the LMS/);
    const invited = Number(/^(\d+) invited/.exec((await outcome.textContent()) ?? '')?.[1]);
    expect(invited).toBeGreaterThan(0);
    await expect
      .poll(() => seatsShown(step))
      .toEqual({ ...seatsBefore, taken: seatsBefore.taken + invited, invitations: seatsBefore.invitations + invited, free: seatsBefore.free - invited });

    // The fiscal-year step followed the build to its publish: it asks what it asks of published data.
    await expect(fiscal).toContainText('already has published fiscal-year history');
    await fiscal.getByLabel('The fiscal year starts in').selectOption('7');
    await fiscal.getByRole('button', { name: 'Save' }).click();
    const confirm = fiscal.getByRole('alert');
    await expect(confirm).toContainText('Change the fiscal year start from January to July?');
    await expect(fiscal).toContainText('the next build rebuilds that history from completion dates');
    await confirm.getByRole('button', { name: 'Keep January' }).click();
    await expect(confirm).toBeHidden();
  });

  test('with data published, a new fiscal-year start is saved only once the admin confirms what it does to the history', async ({ page, signIn }) => {
    await signIn('onboardAdmin', { to: '/onboarding' });
    const step = page.getByRole('region', { name: '3. Fiscal year' });
    const month = step.getByLabel('The fiscal year starts in');
    await expect(month).toHaveValue('1');
    await expect(step).toContainText('the next build rebuilds that history from completion dates');
    await month.selectOption('7');
    await step.getByRole('button', { name: 'Save' }).click();
    const confirm = step.getByRole('alert');
    await expect(confirm).toContainText('Change the fiscal year start from January to July?');
    await expectNoSeriousA11yViolations(page);
    await confirm.getByRole('button', { name: 'Keep January' }).click();
    await expect(confirm).toBeHidden();
    await page.reload();
    await expect(month).toHaveValue('1');

    // A second tab changes it to March while this one still shows January: confirming "from January"
    // here is refused, says what it is now, and the step shows it.
    const otherTab = await page.context().newPage();
    await otherTab.goto('/onboarding');
    const otherStep = otherTab.getByRole('region', { name: '3. Fiscal year' });
    await otherStep.getByLabel('The fiscal year starts in').selectOption('3');
    await otherStep.getByRole('button', { name: 'Save' }).click();
    await otherStep.getByRole('alert').getByRole('button', { name: 'Change to March' }).click();
    await expect(otherStep.getByRole('status').first()).toContainText('Saved: the fiscal year starts in March from the next build.');
    await otherTab.close();
    await month.selectOption('7');
    await step.getByRole('button', { name: 'Save' }).click();
    await expect(step.getByRole('alert')).toContainText('Change the fiscal year start from January to July?');
    await step.getByRole('alert').getByRole('button', { name: 'Change to July' }).click();
    await expect(step.getByRole('alert')).toHaveText(
      'The fiscal year start was changed to March since this page loaded (by someone else, or in another tab); nothing was changed. Review it and confirm again.',
    );
    await expect(month).toHaveValue('3');

    await month.selectOption('7');
    await step.getByRole('button', { name: 'Save' }).click();
    await expect(step.getByRole('alert')).toContainText('Change the fiscal year start from March to July?');
    await step.getByRole('alert').getByRole('button', { name: 'Change to July' }).click();
    await expect(step.getByRole('status').first()).toContainText('Saved: the fiscal year starts in July from the next build.');

    // The rebuild is followed on the page, stage by stage, to the version it publishes; and after a reload.
    await step.getByRole('button', { name: 'Rebuild now' }).click();
    const rebuild = step.getByTestId('rebuild');
    await expect(rebuild.getByRole('status')).toHaveText('Published: the dashboards show data version 2, with the new fiscal years.', { timeout: 120_000 });
    await expect(rebuild.locator('li[data-status="succeeded"]')).toHaveCount(5);
    await page.reload();
    await expect(rebuild.getByRole('status')).toHaveText('Published: the dashboards show data version 2, with the new fiscal years.');
    // The load's report says which version it published, and that a later build published over it.
    await expect(page.getByTestId('build').getByRole('status')).toContainText('Published data version 1');
    await expect(page.getByTestId('build').getByRole('status')).toContainText('the dashboards now show version 2, from a later build.');
  });

  test('a rebuild asked for while a build that started before the fiscal-year change runs is said to be queued after it', async ({ page, signIn }) => {
    await signIn('onboardAdmin', { to: '/onboarding' });
    const step = page.getByRole('region', { name: '3. Fiscal year' });
    const month = step.getByLabel('The fiscal year starts in');
    await expect(month).toHaveValue('7');
    await month.selectOption('4');
    await step.getByRole('button', { name: 'Save' }).click();
    await step.getByRole('alert').getByRole('button', { name: 'Change to April' }).click();
    await expect(step.getByRole('status').first()).toContainText('Saved: the fiscal year starts in April from the next build.');

    // The gateway's answer while a build started under July still runs (gateway and worker tests make
    // that answer for real): here no build is started, so the data published stays as it is.
    const documents = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'generated', 'browser', 'persisted-documents.json'), 'utf8')) as Record<string, string>;
    const rebuildDocument = Object.keys(documents).find((id) => documents[id].includes('mutation Rebuild'));
    const queuedAt = '2026-12-07T16:30:00.000Z';
    await page.route('**/api/graphql', (route) =>
      (route.request().postDataJSON() as { documentId?: string }).documentId === rebuildDocument
        ? route.fulfill({
            json: {
              data: {
                rebuild: {
                  buildRunId: '00000000-0000-4000-8000-000000000002',
                  alreadyUnderWay: false,
                  kind: 'rebuild',
                  queuedAt,
                  fiscalYearStartMonth: 4,
                  follows: { buildRunId: '00000000-0000-4000-8000-000000000001', kind: 'rebuild', status: 'running' },
                },
              },
            },
          })
        : route.fallback(),
    );
    await step.getByRole('button', { name: 'Rebuild now' }).click();
    const said = step.getByTestId('rebuild-follows');
    await expect(said).toContainText('A build that started before the fiscal year was changed is under way; a rebuild with the year starting in April is queued to run after it (queued at ');
    await expect(step).not.toContainText('Rebuild once it has finished');
    await expect(step.getByRole('button', { name: 'Rebuild now' })).toBeDisabled();
    await page.unroute('**/api/graphql');

    // Back to July, as the tests after this one expect it.
    await month.selectOption('7');
    await step.getByRole('button', { name: 'Save' }).click();
    await step.getByRole('alert').getByRole('button', { name: 'Change to July' }).click();
    await expect(step.getByRole('status').first()).toContainText('Saved: the fiscal year starts in July from the next build.');
  });

  test('a file saved with semicolons refuses the load, said once with what to do; nothing of it is kept and the published data stays', async ({ page, world, signIn }, testInfo) => {
    await signIn('onboardAdmin', { to: '/onboarding' });
    // courses.csv as a spreadsheet in a semicolon locale saves it.
    const [head, ...rest] = fs.readFileSync(path.join(world.onboard.exportDir, 'courses.csv'), 'utf8').trimEnd().split('\n');
    const semicolons = testInfo.outputPath('courses.csv');
    fs.writeFileSync(semicolons, `${[head.replace(/,/g, ';'), ...rest.slice(0, 3)].join('\n')}\n`);
    await page.getByLabel('Choose files…').setInputFiles([semicolons]);
    // A size under a kilobyte reads in bytes, plural.
    const bytes = fs.statSync(semicolons).size;
    expect(bytes).toBeLessThan(1000);
    await expect(page.locator('table.files tbody tr').filter({ hasText: 'courses.csv' })).toContainText(`${bytes} bytes`);
    await page.getByRole('button', { name: /^Upload 1 file/ }).click();

    const report = page.getByTestId('load-report');
    const refusal = report.getByRole('alert').filter({ hasText: 'The load was rejected and nothing was changed' });
    // Said once: not introduced by a sentence saying the same.
    await expect(refusal).not.toContainText('The load was refused');
    await expect(refusal).toContainText('courses.csv: the columns are separated by semicolons, not commas: save it again as "CSV UTF-8 (comma delimited)"', { timeout: 60_000 });
    await expect(report.getByText(/separated by semicolons/)).toHaveCount(1);
    await expect(report.locator('tr[data-file="courses.csv"] td').first()).toHaveText('Not loaded');
    await expect(page.getByTestId('build').getByRole('status')).toContainText('The dashboards still show data version 2.');
    // The data published before is still there: its managers can still be invited.
    await expect(page.getByRole('button', { name: 'Invite every manager in the hierarchy' })).toBeEnabled();
    // The rows the first load quarantined are still to be fixed: its report, and their download, are one click away.
    const others = page.getByRole('region', { name: 'Other recent loads' });
    const first = others.getByRole('listitem').filter({ hasText: 'published version 1, 1 row quarantined' });
    await expectNoSeriousA11yViolations(page);
    await first.getByRole('button', { name: /^Show its report/ }).click();
    await expect(report.getByTestId('quarantine').locator('tbody tr')).toContainText('not-a-number');
    await expect(report.getByRole('link', { name: /Download all quarantined rows/ })).toBeVisible();
    await expect(others.getByRole('listitem').filter({ hasText: 'refused' })).toHaveCount(1);

    // Ops see the refused load as the admin did: no checks ran (a dash, not "0 passed"), its reason line by line.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn('ops');
    await page.getByLabel('Search tenants').fill(world.onboard.tenant.slug);
    const row = page.getByTestId('fleet').getByRole('row', { name: new RegExp(world.onboard.tenant.name) });
    await expect(row.getByRole('cell').nth(4)).toHaveText('—');
    await expect(row.getByRole('cell').nth(3)).toContainText('failed');
    await row.getByRole('link', { name: world.onboard.tenant.name }).click();
    const refused = page.getByTestId('runs').locator('tbody tr').first();
    await expect(refused.getByRole('cell').nth(2)).toHaveText('—');
    await expect(refused.locator('.error-text')).toContainText('separated by semicolons');
    expect(await refused.locator('.error-text').innerText()).toMatch(/nothing was changed:\n\s*courses\.csv: the columns are separated by semicolons/);
  });

  test('an org admin invites a viewer, and the invitation link accepted in the browser signs them in; a reset link the admin passes on sets her a new password', async ({ page, world, signIn, browser }) => {
    await signIn('onboardAdmin', { to: '/users' });
    await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
    await expect(page.getByTestId('members')).toContainText(world.logins.onboardAdmin);
    // The plan's seats, above the form; an invitation holds one until it is accepted.
    const before = await seatsShown(page);
    expect(before.taken).toBe(before.members + before.invitations);
    expect(before.free).toBe(before.limit - before.taken);
    await page.getByLabel('Email').fill(INVITEE);
    await page.getByLabel('Role').selectOption('viewer');
    // Granted one organisation with the invitation (with everything below it).
    const organisations = page.getByRole('group', { name: 'Organisations this viewer sees' }).locator('label');
    const [granted, grantedLater] = [(await organisations.nth(0).textContent())!.trim(), (await organisations.nth(1).textContent())!.trim()];
    await organisations.nth(0).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    const link = (await page.getByTestId('invitation-link').textContent()) ?? '';
    expect(link).toContain('/accept-invitation?token=');
    await expect.poll(() => seatsShown(page)).toEqual({ ...before, taken: before.taken + 1, invitations: before.invitations + 1, free: before.free - 1 });
    // The invitation not accepted yet says what the viewer will see: that organisation, by name.
    await expect(page.getByTestId('pending').locator(`tr[data-email="${INVITEE}"]`).locator('td').nth(1)).toHaveText(granted);
    // The managers invited in one action above: each named from the published data, the id under it.
    const managerInvitation = page.getByTestId('pending').locator('tr[data-role="manager"]').first().locator('td').nth(1);
    await expect(managerInvitation).toHaveText(/^Their reports \((?!LMS user)[^()]+\)LMS user \d+$/);
    await expectNoSeriousA11yViolations(page);
    await saveScreenshot(page, 'users');

    const context = await browser.newContext({ locale: 'en-GB' });
    try {
      const invitee = await context.newPage();
      await invitee.goto(link);
      await expect(invitee.getByRole('heading', { name: 'Accept your invitation' })).toBeVisible();
      await expectNoSeriousA11yViolations(invitee);
      await saveScreenshot(invitee, 'accept-invitation');
      await invitee.getByLabel('Your name (optional)').fill('Nia Viewer');
      await invitee.getByLabel('Password (at least 12 characters)', { exact: true }).fill(INVITEE_PASSWORD);
      await invitee.getByLabel('Password again').fill(INVITEE_PASSWORD);
      await invitee.getByRole('button', { name: 'Accept and sign in' }).click();
      await expect(invitee).toHaveURL(/\/dashboards\/course-completion$/);
      await expect(invitee.getByRole('button', { name: 'Sign out' })).toBeVisible();
      await expect(invitee.getByTestId('tenant-name')).toHaveText(world.onboard.tenant.name);
    } finally {
      await context.close();
    }

    // Back on Users: the viewer is a member now, seeing the organisation granted with the invitation,
    // and is granted a second one.
    await page.reload();
    // Accepted: the seat the invitation held is the member's now.
    const joined = { ...before, taken: before.taken + 1, members: before.members + 1, free: before.free - 1 };
    await expect.poll(() => seatsShown(page)).toEqual(joined);
    const row = page.getByTestId('members').locator(`tr[data-email="${INVITEE}"]`);
    const sees = row.locator('td').nth(1);
    await expect(sees).toHaveText(granted);
    await row.getByRole('button', { name: `Change ${INVITEE}` }).click();
    await page.getByRole('group', { name: 'Organisations this viewer sees' }).getByRole('checkbox', { name: grantedLater }).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(sees).toContainText(granted);
    await expect(sees).toContainText(grantedLater);
    await expect(page.getByTestId('member-changed')).toHaveText("Saved Nia Viewer's role and access.");

    // Deactivating asks first, naming them; Escape keeps them; once confirmed, the page says what happened.
    const status = row.locator('td').nth(2);
    await row.getByRole('button', { name: `Change ${INVITEE}` }).click();
    await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
    const confirm = page.getByRole('group', { name: 'Deactivate Nia Viewer?' });
    await expect(confirm).toContainText('They are signed out at once');
    await expect(confirm.getByRole('button', { name: 'Deactivate Nia Viewer' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(confirm).toHaveCount(0);
    await expect(status).toHaveText('Active');
    await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
    await confirm.getByRole('button', { name: 'Deactivate Nia Viewer' }).click();
    await expect(page.getByTestId('member-changed')).toHaveText('Nia Viewer is deactivated: signed out, and their seat is free. Reactivate them from Change.');
    await expect(status).toHaveText('Deactivated');
    // As the message says, the seat is free again.
    await expect.poll(() => seatsShown(page)).toEqual({ ...joined, taken: joined.taken - 1, members: joined.members - 1, free: joined.free + 1 });
    await expectNoSeriousA11yViolations(page);
    await row.getByRole('button', { name: `Change ${INVITEE}` }).click();
    await page.getByRole('button', { name: 'Reactivate' }).click();
    await expect(page.getByTestId('member-changed')).toHaveText('Nia Viewer is active again and can sign in.');
    await expect(status).toHaveText('Active');

    // She forgot her password: with no mail server, the admin gets the reset link to pass on, and
    // the link sets a new one, with which she signs in.
    await row.getByRole('button', { name: `Change ${INVITEE}` }).click();
    await page.getByRole('button', { name: 'Send a password reset link' }).click();
    await expect(page.getByTestId('reset-sent')).toContainText(`No mail server is set up: pass this link on to ${INVITEE} yourself. It works once, until`);
    const resetLink = (await page.getByTestId('reset-link').textContent()) ?? '';
    expect(resetLink).toContain('/reset-password?token=');
    await expect(page.getByRole('button', { name: 'Send another password reset link' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    const resetContext = await browser.newContext({ locale: 'en-GB' });
    try {
      const invitee = await resetContext.newPage();
      await invitee.goto(resetLink);
      await invitee.getByLabel('New password (at least 12 characters)', { exact: true }).fill(`${INVITEE_PASSWORD} anew`);
      await invitee.getByLabel('New password again').fill(`${INVITEE_PASSWORD} anew`);
      await invitee.getByRole('button', { name: 'Set the new password' }).click();
      const changed = invitee.getByRole('status');
      await expect(changed).toContainText('Your password is changed and every earlier session has ended.');
      await changed.getByRole('link', { name: 'Sign in' }).click();
      await invitee.getByLabel('Email').fill(INVITEE);
      await invitee.getByLabel('Password').fill(`${INVITEE_PASSWORD} anew`);
      await invitee.getByRole('button', { name: 'Sign in' }).click();
      await expect(invitee.getByRole('button', { name: 'Sign out' })).toBeVisible();
    } finally {
      await resetContext.close();
    }
  });

  test("the users page names a manager's LMS person, with the id beside it", async ({ page, world, signIn }) => {
    await signIn('admin', { to: '/users' });
    const row = page.locator(`tr[data-email="${world.logins.manager}"]`);
    const access = row.locator('td').nth(1);
    await expect(access.locator('.muted')).toHaveText(`LMS user ${world.manager.userKey}`);
    // The name from the published data, not the id again.
    await expect(access).toHaveText(new RegExp(`^Their reports \\((?!LMS user)[^()]+\\)LMS user ${world.manager.userKey}$`));
  });

  test('a forgotten password is asked for by address, without saying whether it has an account', async ({ page }) => {
    await page.goto('/sign-in');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await page.getByLabel('Email').fill('nobody@hooli.example');
    await page.getByRole('button', { name: 'Send the reset link' }).click();
    await expect(page.getByRole('status')).toContainText('If nobody@hooli.example has an account');
    await page.goto('/reset-password?token=not-a-real-token');
    await page.getByLabel('New password (at least 12 characters)', { exact: true }).fill('another long password');
    await page.getByLabel('New password again').fill('another long password');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await expect(page.locator('form').getByRole('alert')).toContainText(/link/i);
    await expectNoSeriousA11yViolations(page);
  });

  test('"Sign in with Microsoft" shows for an organisation that has it, completes into the cookie session, and returns to the link that sent the person to sign in', async ({ page, world, context }) => {
    const idp = new FakeOidcProvider();
    await idp.start();
    const q = JSON.stringify;
    const { login } = await gateway<{ login: { token: string } }>(
      world.gatewayUrl,
      `mutation { login(email: ${q(world.logins.onboardAdmin)}, password: ${q(world.password)}) { token } }`,
    );
    try {
      await gateway(
        world.gatewayUrl,
        `mutation { configureMicrosoftSignIn(issuer: ${q(idp.issuer)}, clientId: ${q(idp.clientId)}, clientSecret: ${q(idp.clientSecret)}) }`,
        login.token,
      );
      // The browser's visit to the directory: the portal's step sends it to the gateway's start, which
      // redirects to the directory's authorize page, where the person signs in and is sent back with a
      // code. Playwright routes only the first request of a redirect chain, so both steps are taken here
      // (their cookies included: the portal's note of where to return, the gateway's state) and answered
      // with the directory's redirect back to the gateway's callback, which the browser then follows itself.
      await page.route(
        (url) => url.pathname === '/api/session/microsoft',
        async (route) => {
          const portalStep = await route.fetch({ maxRedirects: 0 });
          const started = await route.fetch({ url: portalStep.headers()['location'], maxRedirects: 0 });
          const authorize = started.headers()['location'] ?? '';
          const { code, state } = idp.authorize(authorize, { email: world.logins.onboardAdmin });
          const back = new URL(new URL(authorize).searchParams.get('redirect_uri') ?? '');
          back.search = new URLSearchParams({ code, state }).toString();
          const cookies = [portalStep.headers()['set-cookie'], started.headers()['set-cookie']].filter(Boolean).join('\n');
          await route.fulfill({ status: 302, headers: { location: back.toString(), 'set-cookie': cookies } });
        },
      );

      await page.goto('/sign-in');
      await expect(page.getByRole('link', { name: 'Sign in with Microsoft' })).toHaveCount(0);
      await page.goto(`/sign-in?tenant=${world.onboard.tenant.slug}`);
      await page.getByRole('link', { name: 'Sign in with Microsoft' }).click();
      await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
      await expect(page.getByTestId('tenant-name')).toHaveText(world.onboard.tenant.name);
      const [cookie] = (await context.cookies()).filter((c) => c.name === 'kineo_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
      expect(await page.evaluate(() => window.location.hash)).toBe('');
      // The nonce that tied the sign-in to this browser is spent.
      expect((await context.cookies()).filter((c) => c.name === 'kineo_oidc_nonce')).toEqual([]);

      // A filtered dashboard's link opened without a session comes back to that page, filters and all,
      // through Microsoft's round trip too; the note of where to return is used once and gone.
      // The browser remembers the organisation, so the sign-in page the link leads to offers Microsoft without ?tenant=.
      // Off the signed-in page first, so its own reaction to the lost session cannot race the next navigation.
      await page.goto('about:blank');
      await context.clearCookies({ name: 'kineo_session' });
      const link = '/dashboards/program-progress?Learner.isActive=false';
      await page.goto(link);
      await expect(page).toHaveURL(/\/sign-in\?next=/);
      await page.getByRole('link', { name: 'Sign in with Microsoft' }).click();
      await expect(page).toHaveURL((url) => `${url.pathname}${url.search}` === link);
      expect((await context.cookies()).filter((c) => c.name === 'kineo_return_to')).toEqual([]);
      // A return path to another site is not followed: the role's own first page instead.
      await page.goto('about:blank');
      await context.clearCookies();
      await page.goto(`/sign-in?tenant=${world.onboard.tenant.slug}&next=${encodeURIComponent('//elsewhere.example/dashboards')}`);
      await page.getByRole('link', { name: 'Sign in with Microsoft' }).click();
      await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
    } finally {
      await gateway(world.gatewayUrl, 'mutation { disableMicrosoftSignIn }', login.token);
      await idp.stop();
    }
  });

  test("a link carrying someone else's Microsoft sign-in (or their token) does not change who is signed in", async ({ page, world, signIn, context }) => {
    const q = JSON.stringify;
    const slug = world.onboard.tenant.slug;
    const { login } = await gateway<{ login: { token: string; expiresAt: string } }>(
      world.gatewayUrl,
      `mutation { login(email: ${q(world.logins.onboardAdmin)}, password: ${q(world.password)}) { token expiresAt } }`,
    );
    const idp = new FakeOidcProvider();
    await idp.start();
    try {
      await gateway(
        world.gatewayUrl,
        `mutation { configureMicrosoftSignIn(issuer: ${q(idp.issuer)}, clientId: ${q(idp.clientId)}, clientSecret: ${q(idp.clientSecret)}) }`,
        login.token,
      );
      // The attacker, an org admin of another organisation, signs in with Microsoft themselves (their
      // own browser, their own nonce) and sends the address they land on as a link.
      const started = await fetch(`${world.gatewayUrl}/auth/oidc/${slug}/start?nonce=the-attackers-own-nonce-0123456789abcdef`, { redirect: 'manual' });
      const authorize = started.headers.get('location') ?? '';
      const { code, state } = idp.authorize(authorize, { email: world.logins.onboardAdmin });
      const back = await fetch(`${world.gatewayUrl}/auth/oidc/${slug}/callback?${new URLSearchParams({ code, state }).toString()}`, {
        redirect: 'manual',
        headers: { cookie: (started.headers.get('set-cookie') ?? '').split(';')[0] },
      });
      const link = new URL(back.headers.get('location') ?? '');
      expect(link.hash).toMatch(/^#code=/);

      // The victim, signed in to their own organisation, with a Microsoft sign-in of their own under way.
      await signIn('admin');
      const landing = new URL(page.url()).pathname;
      const tenantName = await page.getByTestId('tenant-name').textContent();
      expect(tenantName).not.toBe(world.onboard.tenant.name);
      const session = (await context.cookies()).find((c) => c.name === 'kineo_session')?.value;
      const host = new URL(world.portalUrl).hostname;
      const ownNonce = { name: 'kineo_oidc_nonce', value: 'this-browsers-own-nonce-0123456789abcdef', domain: host, path: '/api/session/callback', httpOnly: true, sameSite: 'Lax' as const };
      await context.addCookies([ownNonce]);
      const alert = page.getByRole('main').getByRole('alert');
      await page.goto(`/auth/callback${link.hash}`);
      await expect(alert).toHaveText('This sign-in was not started in this browser; sign in again.');
      await expect(page.getByRole('link', { name: 'Back to sign in' })).toBeVisible();
      // Nor with no sign-in under way in this browser.
      await context.clearCookies({ name: 'kineo_oidc_nonce' });
      await page.goto('about:blank');
      await page.goto(`/auth/callback${link.hash}`);
      await expect(alert).toHaveText('This sign-in was not started in this browser; sign in again.');
      // A bare token in the link (what the callback took before) is no sign-in result at all.
      await page.goto('about:blank');
      await page.goto(`/auth/callback#${new URLSearchParams({ token: login.token, expiresAt: login.expiresAt }).toString()}`);
      await expect(alert).toHaveText('Microsoft sign-in did not complete: this page was opened without a sign-in result.');

      expect((await context.cookies()).find((c) => c.name === 'kineo_session')?.value).toBe(session);
      await page.goto(landing);
      await expect(page.getByTestId('tenant-name')).toHaveText(tenantName!);

      // The portal's completion itself refuses the attacker's code with this browser's nonce.
      await context.addCookies([ownNonce]);
      const refused = await page.request.post('/api/session/callback', { headers: { origin: world.portalUrl }, data: { code: link.hash.slice('#code='.length) } });
      expect(refused.status()).toBe(403);
      expect(await refused.json()).toEqual({ code: 'SIGN_IN_NOT_STARTED_HERE', message: 'This sign-in was not started in this browser; sign in again.' });
      expect((await context.cookies()).find((c) => c.name === 'kineo_session')?.value).toBe(session);
    } finally {
      await gateway(world.gatewayUrl, 'mutation { disableMicrosoftSignIn }', login.token);
      await idp.stop();
    }
  });

  test('the callback page says why when Microsoft sign-in was refused, in its own words only (never text from the link)', async ({ page }) => {
    const alert = page.getByRole('main').getByRole('alert');
    await page.goto(`/auth/callback#${new URLSearchParams({ error: 'FORBIDDEN', reason: 'not_a_member', message: 'x@y.example has no access to "hooli".' }).toString()}`);
    await expect(alert).toHaveText('Your Microsoft account has no access to this organisation. Ask your administrator for an invitation, then sign in with Microsoft again.');
    await expect(page.getByRole('link', { name: 'Back to sign in' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);

    const spoof = 'Your Kineo account is locked. Call the Kineo security desk on +44 20 0000 0000 or sign in again at https://kineo-support.example to unlock it.';
    for (const [error, expected] of [
      ['X', 'Microsoft sign-in did not complete; try again or ask your administrator.'],
      ['constructor', 'Microsoft sign-in did not complete; try again or ask your administrator.'],
      ['OIDC_UNAVAILABLE', 'Microsoft sign-in is not working for this organisation at the moment. Ask your administrator, or sign in with your e-mail and password.'],
    ]) {
      await page.goto('about:blank');
      await page.goto(`/auth/callback#${new URLSearchParams({ error, message: spoof }).toString()}`);
      await expect(alert).toHaveText(expected);
      await expect(page.getByRole('main')).not.toContainText('+44');
    }
  });
});

test.describe('an organisation with every seat taken', () => {
  test('the Users page says so and how to free one, and offers no invitation that would be refused', async ({ page, signIn }) => {
    await signIn('emptyAdmin', { to: '/users' });
    const seats = page.getByTestId('seats');
    await expect(seats).toHaveText(
      'Seats: 1 of 1 taken (1 member and 0 invitations pending); 0 free. Every seat is taken: deactivate someone or withdraw an invitation below to invite someone else, or ask Kineo for a plan with more seats.',
    );
    const send = page.getByRole('button', { name: 'Send the invitation' });
    await expect(send).toBeDisabled();
    // The reason is read with the button.
    expect(await send.getAttribute('aria-describedby')).toBe(await seats.getAttribute('id'));
    await expectNoSeriousA11yViolations(page);
  });
});

test.describe('users of a large organisation', () => {
  test("a long hierarchy in a viewer's organisations is narrowed as you type, what is ticked staying in sight", async ({ page, signIn }) => {
    // This tenant's learners sit in over 100 organisations, some sharing a name ("Payroll").
    await signIn('noCertsAdmin', { to: '/users' });
    await page.getByLabel('Role').selectOption('viewer');
    const picker = page.getByRole('group', { name: 'Organisations this viewer sees' });
    const labels = picker.locator('.org-list label');
    await expect(labels.first()).toBeVisible();
    const all = await labels.count();
    expect(all).toBeGreaterThan(100);
    await picker.getByLabel('Find an organisation').fill('payroll');
    await expect(picker.locator('[aria-live]')).toHaveText(/^\d+ of [\d,]+ shown/);
    const found = await labels.allTextContents();
    expect(found.length).toBeGreaterThan(1);
    expect(found.every((name) => name.toLowerCase().includes('payroll'))).toBe(true);
    await labels.first().getByRole('checkbox').check();
    // Another search: the ticked one stays listed beside what the new text finds.
    await picker.getByLabel('Find an organisation').fill('sales');
    await expect(picker.getByRole('checkbox', { name: found[0].trim(), exact: true })).toBeChecked();
    expect((await labels.allTextContents()).filter((name) => !name.toLowerCase().includes('sales'))).toEqual([found[0]]);
    await picker.getByLabel('Find an organisation').fill('');
    await expect(labels).toHaveCount(all);
    await expectNoSeriousA11yViolations(page);
  });
});

/** The Users page's seats line, as numbers. */
async function seatsShown(page: Page | Locator): Promise<{ taken: number; limit: number; members: number; invitations: number; free: number }> {
  const text = (await page.getByTestId('seats').textContent()) ?? '';
  const match = /^Seats: ([\d,]+) of ([\d,]+) taken \(([\d,]+) members? and ([\d,]+) invitations? pending\); ([\d,]+) free\./.exec(text);
  if (!match) throw new Error(`The seats line reads "${text}"`);
  const [taken, limit, members, invitations, free] = match.slice(1).map((n) => Number(n.replace(/,/g, '')));
  return { taken, limit, members, invitations, free };
}
