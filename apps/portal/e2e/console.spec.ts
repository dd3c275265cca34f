import { readCsvDownload } from './csv';
import { expect, expectNoSeriousA11yViolations, saveScreenshot, test } from './fixtures';
import { gateway } from './gateway';

test.describe('ops console', () => {
  test('ops provision a tenant through a validated form and see it in the fleet, then open a tenant and its runs', async ({ page, signIn, world }) => {
    await signIn('ops');
    await expect(page.getByRole('heading', { level: 1, name: 'Tenants' })).toBeVisible();
    const fleet = page.getByTestId('fleet');
    await expect(fleet.getByRole('rowheader', { name: new RegExp(world.tenant.name) })).toBeVisible();

    const form = page.getByRole('form', { name: 'Provision a tenant' });
    // Checked before anything is sent: the field says what is wrong.
    await form.getByLabel('Slug').fill('Northwind Traders');
    await form.getByRole('button', { name: 'Provision' }).click();
    await expect(form.getByLabel('Slug')).toHaveAttribute('aria-invalid', 'true');
    await expect(form.getByText(/Use lower-case letters, digits and hyphens/)).toBeVisible();
    await expect(form.getByText("Enter the organisation's name.")).toBeVisible();
    // Refused by the gateway: its message lands on the field it is about.
    await form.getByLabel('Slug').fill(world.tenant.slug);
    await form.getByLabel('Organisation name').fill('Acme again');
    await form.getByRole('button', { name: 'Provision' }).click();
    await expect(form.getByText(/already|taken|exists/i)).toBeVisible();

    await form.getByLabel('Slug').fill('northwind-traders');
    await form.getByLabel('Organisation name').fill('Northwind Traders');
    await form.getByLabel('Locale').selectOption('en-US');
    await form.getByRole('button', { name: 'Provision' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Tenant northwind-traders is provisioning' })).toBeVisible();
    const row = fleet.getByRole('row', { name: /Northwind Traders/ });
    await expect(row).toBeVisible();
    await expect(row.getByRole('cell', { name: 'Starter' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await saveScreenshot(page, 'ops-fleet');
    // The notice follows the tenant: once the worker is done it no longer says it is provisioning.
    await expect(page.getByRole('status').filter({ hasText: 'Tenant northwind-traders is active.' })).toBeVisible({ timeout: 30_000 });
    await expect(page.getByText('Tenant northwind-traders is provisioning')).toHaveCount(0);

    // Its rollups were built by this release: current, in the fleet and on its page.
    const loaded = fleet.getByRole('row', { name: new RegExp(world.tenant.name) });
    await expect(loaded.getByText('current', { exact: true })).toBeVisible();
    // Its version says which run published it; its rows say what they count.
    await expect(loaded).toContainText(/\d+by load build, /);
    await expect(page.getByRole('columnheader', { name: 'Data rows' })).toBeVisible();
    await expect(page.getByText('Data rows: the facts and dimensions of the published version').first()).toBeVisible();
    await fleet.getByRole('link', { name: world.tenant.name }).click();
    await expect(page).toHaveURL(new RegExp(`/platform/tenants/${world.tenant.slug}$`));
    await expect(page.getByRole('heading', { level: 1, name: world.tenant.name })).toBeVisible();
    // The load that built its gold is among its runs, newest first.
    await expect(page.getByTestId('runs').locator('tbody tr').first()).toContainText('succeeded');
    // Ops refresh its rollups: a run of kind rollups that the worker ends without a new version (none is stale).
    await expect(page.getByTestId('rollups')).toHaveText(/^Current in version \d+$/);
    const version = await page.locator('dt:text-is("Data version") + dd').textContent();
    await page.getByRole('button', { name: 'Refresh rollups' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Rollups refresh queued; follow it under Runs.' })).toBeVisible();
    const refreshRun = page.getByTestId('runs').locator('tbody tr').first();
    await expect(refreshRun.getByRole('cell', { name: 'rollups', exact: true })).toBeVisible();
    await expect(refreshRun).toContainText('succeeded');
    // A refresh runs no build checks: its Checks cell is a dash, where a load's counts its checks.
    await expect(refreshRun.getByRole('cell').nth(2)).toHaveText('—');
    const loadRun = page.getByTestId('runs').locator('tbody tr').filter({ has: page.getByRole('cell', { name: 'load', exact: true }) }).first();
    await expect(loadRun.getByRole('cell').nth(2)).toHaveText(/^[1-9][\d,]* passed, 0 failed$/);
    await expect(page.getByRole('button', { name: 'Refresh rollups' })).toBeEnabled();
    await expect(page.locator('dt:text-is("Data version") + dd')).toHaveText(version!);
    // Offboarding waits for the slug typed exactly.
    const offboard = page.getByRole('button', { name: `Offboard ${world.tenant.slug}` });
    await expect(offboard).toBeDisabled();
    await page.getByLabel('Tenant slug').fill(world.tenant.slug.toUpperCase());
    await expect(offboard).toBeDisabled();
    // Typed exactly, the button is offered, its words readable on its red (not clicked here).
    await page.getByLabel('Tenant slug').fill(world.tenant.slug);
    await expect(offboard).toBeEnabled();
    expect(await offboard.evaluate((b) => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor])).toEqual(['rgb(255, 255, 255)', expect.stringMatching(/^rgb\(/)]);
    await expectNoSeriousA11yViolations(page);
    await page.getByLabel('Tenant slug').fill('');
    await expect(page.getByRole('button', { name: 'Suspend' })).toBeEnabled();
    // Suspending refuses everyone's requests: it is asked first, saying so, and can be called off.
    await page.getByRole('button', { name: 'Suspend' }).click();
    const confirmSuspend = page.getByRole('form', { name: `Suspend ${world.tenant.name}` });
    await expect(confirmSuspend).toContainText(`Suspending refuses every request of ${world.tenant.name}`);
    await expectNoSeriousA11yViolations(page);
    await confirmSuspend.getByRole('button', { name: 'Cancel' }).click();
    await expect(confirmSuspend).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Suspend', exact: true })).toBeEnabled();
    // A plan change shows at once, and back again (other tests keep the tenant's plan).
    const plan = page.locator('dt:text-is("Plan") + dd');
    await expect(plan).toHaveText(/^Starter \(/);
    for (const [code, name] of [['enterprise', 'Enterprise'], ['starter', 'Starter']]) {
      await page.getByLabel('Plan', { exact: true }).selectOption(code);
      await page.getByRole('button', { name: 'Change plan' }).click();
      await expect(plan).toHaveText(new RegExp(`^${name} \\(`));
      await expect(page.getByRole('button', { name: 'Change plan' })).toBeDisabled();
    }
    await expectNoSeriousA11yViolations(page);
    await saveScreenshot(page, 'ops-tenant');
  });

  test("ops open the job queues from the portal's navigation; anyone else is refused", async ({ page, signIn, browser, world }) => {
    await signIn('ops');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Queues' }).click();
    await expect(page).toHaveURL(/\/ops\/queues/);
    await expect(page).toHaveTitle(/Kineo queues/);
    // Each of the worker's queues, read through the portal (the browser never holds the gateway's token).
    for (const queue of ['provision', 'ingest', 'build', 'maintenance']) await expect(page.getByText(queue, { exact: true }).first()).toBeVisible();

    const context = await browser.newContext();
    try {
      const admin = await context.newPage();
      await admin.goto(`${world.portalUrl}/sign-in`);
      await admin.getByLabel('Email').fill(world.logins.admin);
      await admin.getByLabel('Password').fill(world.password);
      await admin.getByRole('button', { name: 'Sign in' }).click();
      await expect(admin.getByRole('button', { name: 'Sign out' })).toBeVisible();
      const refused = await admin.request.get(`${world.portalUrl}/ops/queues`);
      expect(refused.status()).toBe(403);
      expect((await refused.json()) as unknown).toMatchObject({ code: 'FORBIDDEN', message: 'The queues screen is for Kineo ops; you are org_admin.' });
    } finally {
      await context.close();
    }
  });

  test("an offboarded tenant's data reads as removed in the fleet and on its page, never as rows still held", async ({ page, signIn, world }) => {
    await signIn('ops');
    await page.getByLabel('Search tenants').fill(world.offboarded.slug);
    const row = page.getByTestId('fleet').getByRole('row', { name: new RegExp(world.offboarded.name) });
    await expect(row).toBeVisible();
    await expect(row).toContainText('offboarded');
    // The version and rows columns: what was published is gone.
    await expect(row.getByRole('cell', { name: 'removed', exact: true })).toBeVisible();
    await expect(row.getByRole('cell', { name: /^\d[\d,]*$/ })).toHaveCount(0);
    await row.getByRole('link', { name: world.offboarded.name }).click();
    await expect(page.getByRole('heading', { level: 1, name: world.offboarded.name })).toBeVisible();
    await expect(page.getByTestId('data-version')).toHaveText("Removed at offboarding (the last version was 1; the audit log has each table's rows as they were)");
    await expect(page.locator('dt:text-is("Data rows") + dd')).toHaveText('—');
    // Nothing is offered that needs the data or the tenant: no rollups refresh, no second offboarding.
    await expect(page.getByRole('button', { name: 'Refresh rollups' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: `Offboard ${world.offboarded.slug}` })).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);
  });
});

test.describe('runs ops did not start', () => {
  test('the fleet and a tenant page follow what happens without a reload: a tenant provisioned elsewhere, a run queued by the CLI or another ops user', async ({ page, signIn, world }) => {
    await signIn('ops');
    const fleet = page.getByTestId('fleet');
    await expect(fleet.getByRole('rowheader', { name: new RegExp(world.tenant.name) })).toBeVisible();
    const token = (await gateway<{ login: { token: string } }>(world.gatewayUrl, `mutation { login(email: "${world.logins.ops}", password: "${world.password}") { token } }`)).login.token;
    // Provisioned by someone else while this page is open, with no tenant provisioning in sight before.
    await gateway(world.gatewayUrl, 'mutation { provisionTenant(input: { slug: "fabrikam", name: "Fabrikam" }) { jobId } }', token);
    await expect(fleet.getByRole('rowheader', { name: /Fabrikam/ })).toBeVisible({ timeout: 15_000 });

    // A tenant page opened with nothing in flight shows a run queued afterwards, and follows it to its end.
    await fleet.getByRole('link', { name: world.tenant.name }).click();
    const runs = page.getByTestId('runs').locator('tbody tr');
    await expect(runs.first()).toContainText('succeeded');
    const before = await runs.count();
    await gateway(world.gatewayUrl, `mutation { refreshRollups(slug: "${world.tenant.slug}") { jobId } }`, token);
    await expect(runs).toHaveCount(before + 1, { timeout: 15_000 });
    await expect(runs.first().getByRole('cell', { name: 'rollups', exact: true })).toBeVisible();
    await expect(runs.first()).toContainText('succeeded', { timeout: 30_000 });
  });
});

test.describe('a new organisation', () => {
  test('ops give a tenant they provisioned its first admin, who accepts the link and is taken to load its export', async ({ page, signIn, browser, world }) => {
    await signIn('ops');
    const form = page.getByRole('form', { name: 'Provision a tenant' });
    await form.getByLabel('Slug').fill('contoso-care');
    await form.getByLabel('Organisation name').fill('Contoso Care');
    await form.getByRole('button', { name: 'Provision' }).click();
    // Provisioning, or already active when the worker was quicker than this page's next look (the
    // message follows the fleet, which refreshes every 2 s while a tenant provisions).
    await expect(page.getByRole('status').filter({ hasText: /^Tenant contoso-care is (provisioning|active)/ })).toBeVisible();
    await page.goto('/platform/tenants/contoso-care');
    const invite = page.getByRole('form', { name: 'Invite an admin of Contoso Care' });
    await invite.getByLabel('Their e-mail').fill('first.admin@contoso-care.example');
    await invite.getByRole('button', { name: 'Invite as organisation admin' }).click();
    await expect(invite.getByRole('status')).toContainText('first.admin@contoso-care.example is invited as organisation admin of Contoso Care.');
    const link = (await invite.getByTestId('admin-invitation-link').textContent()) ?? '';
    expect(link).toContain('/accept-invitation?token=');
    await expectNoSeriousA11yViolations(page);

    const context = await browser.newContext({ locale: 'en-GB', baseURL: world.portalUrl });
    try {
      const admin = await context.newPage();
      await admin.goto(link);
      await admin.getByLabel('Password (at least 12 characters)', { exact: true }).fill('contoso care first admin');
      await admin.getByLabel('Password again').fill('contoso care first admin');
      await admin.getByRole('button', { name: 'Accept and sign in' }).click();
      await expect(admin.getByTestId('tenant-name')).toHaveText('Contoso Care');
      await expect(admin.getByRole('status').filter({ hasText: /load an LMS export/ })).toBeVisible();
      await admin.getByRole('link', { name: 'Load your LMS export' }).click();
      await expect(admin.getByRole('heading', { level: 1, name: 'Onboarding' })).toBeVisible();
    } finally {
      await context.close();
    }
    // From now on its admin invites its people: ops are offered no second admin invitation.
    await page.reload();
    await expect(page.getByTestId('admins-invite')).toHaveText('Contoso Care has an organisation admin, who invites its people; Kineo ops invite an admin only while it has none.');
    await expect(page.getByRole('form', { name: 'Invite an admin of Contoso Care' })).toHaveCount(0);
  });
});

test.describe('explore', () => {
  test('an org admin builds a chart from the model, saves it as a shared view, and the view reopens after a reload', async ({ page, signIn }) => {
    await signIn('admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Explore' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Explore' })).toBeVisible();
    // The choices live in the URL: a click checks the box once the URL has it (check() would look too soon).
    const measure = page.getByRole('group', { name: 'Measures' }).getByLabel('Completion rate');
    await measure.click();
    await expect(measure).toBeChecked();
    const dimension = page.getByRole('group', { name: 'Group by learners' }).getByLabel('Organisation', { exact: true });
    await dimension.click();
    await expect(dimension).toBeChecked();
    const result = page.locator('section[data-tile="explore"]');
    await expect(result.locator('.recharts-bar-rectangle').first()).toBeVisible();
    const bars = await result.locator('.recharts-bar-rectangle').count();
    expect(bars).toBeGreaterThan(1);
    await expect(page).toHaveURL(/\/explore\?q=.*CourseProgress\.completionRate/);

    await page.getByLabel('View name').fill('Completion by organisation');
    await page.getByLabel('Share with my organisation').check();
    await page.getByRole('button', { name: 'Save view' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved “Completion by organisation”, shared' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await saveScreenshot(page, 'explore');

    // A fresh Explore, then the saved view: the same chart comes back.
    await page.goto('/explore');
    await expect(result.getByRole('status')).toHaveText('Choose at least one measure.');
    await page.reload();
    await page.getByRole('list', { name: 'Saved views' }).getByRole('link', { name: 'Completion by organisation' }).click();
    await expect(result.locator('.recharts-bar-rectangle')).toHaveCount(bars);
    await expect(page.getByRole('group', { name: 'Measures' }).getByLabel('Completion rate')).toBeChecked();
    await page.reload();
    await expect(result.locator('.recharts-bar-rectangle')).toHaveCount(bars);

    // The same name again asks before it replaces the view (saying what changes); deleting asks too.
    await page.getByLabel('View name').fill('Completion by organisation');
    await expect(page.getByLabel('Share with my organisation')).not.toBeChecked();
    await page.getByRole('button', { name: 'Save view' }).click();
    const replace = page.getByTestId('replace-view');
    await expect(replace).toContainText('You already have a view named “Completion by organisation”, shared with your organisation. Saving replaces it with this one, no longer shared.');
    await replace.getByRole('button', { name: 'Keep it' }).click();
    await expect(replace).toHaveCount(0);
    await page.getByRole('button', { name: 'Delete view Completion by organisation' }).click();
    const confirmDelete = page.getByRole('group', { name: 'Delete view Completion by organisation?' });
    await expect(confirmDelete).toContainText('Delete it for everyone it is shared with?');
    // By keyboard: the question takes the focus, Escape keeps the view and gives the focus back to its Delete.
    await expect(confirmDelete.getByRole('button', { name: 'Delete “Completion by organisation”' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(confirmDelete).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Delete view Completion by organisation' })).toBeFocused();
    await page.getByRole('button', { name: 'Delete view Completion by organisation' }).click();
    await confirmDelete.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('list', { name: 'Saved views' }).getByRole('link', { name: 'Completion by organisation' })).toBeVisible();
  });

  test('filtered by "Active: Yes", Explore counts as the dashboards do; a fiscal-year grain reads as words', async ({ page, signIn }) => {
    await signIn('admin');
    const enrolments = page.locator('[data-tile="summary"] .kpi').filter({ has: page.locator('dt', { hasText: /^Enrolments$/ }) }).locator('dd');
    const onDashboard = (await enrolments.textContent())!.trim();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Explore' }).click();
    const measure = page.getByRole('group', { name: 'Measures' }).getByLabel('Enrolments');
    await measure.click();
    await expect(measure).toBeChecked();
    const result = page.locator('section[data-tile="explore"]');
    await expect(result.getByRole('table')).toBeVisible();
    // One figure, no grouping: the table's one cell.
    const figure = result.locator('tbody tr').first().locator('th, td').first();
    const everyone = (await figure.textContent())!.trim();
    await page.getByLabel('Where').selectOption({ label: 'Learners: Active' });
    await page.getByLabel('Is', { exact: true }).selectOption({ label: 'Yes' });
    await page.getByRole('button', { name: 'Add filter' }).click();
    await expect(page.getByRole('group', { name: 'Filters' })).toContainText('Learners: Active = Yes');
    // The keyboard goes on from "Where" (the button is disabled until the next value), not from the page's top.
    await expect(page.getByLabel('Where')).toBeFocused();
    await expect(figure).toHaveText(onDashboard);
    expect(Number(everyone.replace(/\D/g, ''))).toBeGreaterThanOrEqual(Number(onDashboard.replace(/\D/g, '')));

    await page.getByLabel('Date', { exact: true }).selectOption({ label: 'Enrolled' });
    // The choices live in the URL: the grain is chosen once the date is in it.
    await expect(page).toHaveURL(/enrolledDate/);
    await page.getByLabel('By', { exact: true }).selectOption({ label: 'Fiscal year' });
    await expect(page).toHaveURL(/fiscalYear/);
    await page.getByLabel('Show as').selectOption({ label: 'Table' });
    await expect(result.getByRole('columnheader', { name: /^Enrolled \(fiscal year\)/ })).toBeVisible();
  });

  test("Explore's table sorts in the warehouse by a header's click: a cut answer keeps the top of that order", async ({ page, signIn }) => {
    await signIn('admin');
    const query = { measures: ['CourseProgress.count'], dimensions: ['CourseProgress.courseName'], limit: 5 };
    await page.goto(`/explore?${new URLSearchParams({ q: JSON.stringify(query), chart: 'table' }).toString()}`);
    const result = page.locator('section[data-tile="explore"]');
    await expect(result.getByTestId('cut-answer')).toBeVisible();
    const counts = async () => (await result.locator('tbody tr td:last-child').allTextContents()).map((t) => Number(t.replace(/\D/g, '')));
    await result.getByRole('button', { name: 'Enrolments' }).click();
    await expect(page).toHaveURL(/CourseProgress\.count%22%2C%22direction%22%3A%22asc/);
    await expect(result.getByRole('columnheader', { name: 'Enrolments' })).toHaveAttribute('aria-sort', 'ascending');
    // The header says the order at once; the rows stay the previous answer's, marked busy, until the new one comes.
    const settled = result.locator('[aria-busy="true"]');
    await expect(settled).toHaveCount(0);
    const ascending = await counts();
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    await result.getByRole('button', { name: 'Enrolments' }).click();
    await expect(result.getByRole('columnheader', { name: 'Enrolments' })).toHaveAttribute('aria-sort', 'descending');
    await expect(settled).toHaveCount(0);
    const descending = await counts();
    expect(descending).not.toEqual(ascending);
    expect(descending).toEqual([...descending].sort((a, b) => b - a));
    // The five largest of every course, not the first five rows re-sorted: each is at least the smallest five's largest.
    expect(Math.min(...descending)).toBeGreaterThanOrEqual(Math.max(...ascending));
  });

  test('a view saved as the session ends is filled in again after signing in, said not saved, and saves then; an export asked for then goes to sign-in and back', async ({ page, world, signIn, context }) => {
    await signIn('admin');
    const query = { measures: ['CourseProgress.count'], dimensions: ['CourseProgress.status'] };
    await page.goto(`/explore?${new URLSearchParams({ q: JSON.stringify(query), chart: 'table' }).toString()}`);
    await expect(page.locator('section[data-tile="explore"]').getByRole('table')).toBeVisible();
    await page.getByLabel('View name').fill('Enrolments by status');
    await page.getByLabel('Share with my organisation').check();
    await context.clearCookies({ name: 'kineo_session' });
    await page.getByRole('button', { name: 'Save view' }).click();
    await expect(page).toHaveURL(/\/sign-in\?expired=1&next=%2Fexplore/);
    await page.getByLabel('Email').fill(world.logins.admin);
    await page.getByLabel('Password').fill(world.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/explore\?/);
    await expect(page.getByTestId('pending-save')).toHaveText('You were signed out before “Enrolments by status” was saved, so it was not. It is filled in again: save it now.');
    await expect(page.getByLabel('View name')).toHaveValue('Enrolments by status');
    await expect(page.getByLabel('Share with my organisation')).toBeChecked();
    await page.getByRole('button', { name: 'Save view' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved “Enrolments by status”, shared' })).toBeVisible();
    await expect(page.getByTestId('pending-save')).toHaveCount(0);
    // Taken once: a reload does not bring it back.
    await page.reload();
    await expect(page.getByLabel('View name')).toHaveValue('');
    await page.getByRole('button', { name: 'Delete view Enrolments by status' }).click();
    await page.getByRole('group', { name: 'Delete view Enrolments by status?' }).getByRole('button', { name: 'Delete “Enrolments by status”' }).click();
    // The deleted view's buttons are gone: the keyboard goes on from the list's heading.
    await expect(page.getByRole('heading', { name: 'Saved views' })).toBeFocused();

    // An export asked for as the session ends goes to sign-in too, and back to this view.
    await context.clearCookies({ name: 'kineo_session' });
    await page.getByRole('button', { name: 'Export CSV' }).click();
    await expect(page).toHaveURL(/\/sign-in\?expired=1&next=%2Fexplore%3Fq%3D/);
  });

  test('a coded field is filtered by choosing its label, and its values read as words in the chart and its table', async ({ page, signIn }) => {
    await signIn('admin', { to: '/explore' });
    const measure = page.getByRole('group', { name: 'Measures' }).getByLabel('Enrolments');
    await measure.click();
    await expect(measure).toBeChecked();
    const status = page.getByRole('group', { name: 'Group by', exact: true }).getByLabel('Status', { exact: true });
    await status.click();
    await expect(status).toBeChecked();
    const result = page.locator('section[data-tile="explore"]');
    await expect(result.locator('.recharts-bar-rectangle').first()).toBeVisible();
    await result.getByText('Data table').click();
    await expect(result.getByRole('rowheader', { name: 'Not started', exact: true })).toBeVisible();
    await expect(result.getByRole('rowheader', { name: 'not_started', exact: true })).toHaveCount(0);
    const filters = page.getByRole('group', { name: 'Filters' });
    await filters.getByLabel('Where').selectOption({ label: 'Course progress: Status' });
    // A list of the field's values by label, not a box to type its code into.
    await filters.getByLabel('Is').selectOption({ label: 'In progress' });
    await filters.getByRole('button', { name: 'Add filter' }).click();
    await expect(filters.getByRole('listitem')).toHaveText(/Course progress: Status = In progress/);
    await expect(page).toHaveURL(/in_progress/);
    await expect(result.getByRole('rowheader')).toHaveText(['In progress']);
    // Any other text field offers the values the caller can see, as a dashboard's filter does.
    await filters.getByLabel('Where').selectOption({ label: 'Learners: Organisation' });
    await expect(filters.getByLabel('Is').locator('option').nth(2)).toBeAttached();
    const organisations = (await filters.getByLabel('Is').locator('option').allTextContents()).slice(1);
    expect(organisations.length).toBeGreaterThan(1);
    await filters.getByLabel('Is').selectOption({ label: organisations[0] });
    await filters.getByRole('button', { name: 'Add filter' }).click();
    await expect(filters.getByRole('listitem').nth(1)).toContainText(`Learners: Organisation = ${organisations[0]}`);
  });

  test('a field with more values than its list holds is searched as you type, and a value found is filtered by', async ({ page, signIn }) => {
    // 4,800 learners: more names than a list holds.
    await signIn('noCertsAdmin', { to: `/explore?${new URLSearchParams({ q: JSON.stringify({ measures: ['Learner.count'] }), chart: 'table' }).toString()}` });
    const filters = page.getByRole('group', { name: 'Filters' });
    await filters.getByLabel('Where').selectOption({ label: 'Learners: Learner' });
    const note = page.locator('#explore-filter-value-search-note');
    await expect(note).toHaveText('The first 500 are listed: type to find others.');
    const is = filters.getByLabel('Is', { exact: true });
    await expect(is.locator('option')).toHaveCount(501);
    await filters.getByLabel('Find Learners: Learner').fill('Zofia');
    await expect(note).toHaveText(/^\d+ contains? \u201cZofia\u201d\.$/);
    const found = (await is.locator('option').allTextContents()).slice(1);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((name) => name.toLowerCase().includes('zofia'))).toBe(true);
    await is.selectOption({ label: found[0] });
    await filters.getByRole('button', { name: 'Add filter' }).click();
    await expect(filters.getByRole('listitem')).toHaveText([`Learners: Learner = ${found[0]}Remove`]);
    // Learners of that name: at least the one found.
    await expect(page.locator('section[data-tile="explore"]').locator('tbody th')).toHaveText([/^[1-9]\d*$/]);
    await expectNoSeriousA11yViolations(page);
  });

  test('an answer the row limit cut says so beside its table, and its export holds every row', async ({ page, signIn }) => {
    await signIn('admin');
    // One row per learner and course: thousands, more than one answer holds unless a limit is set.
    const query = { measures: ['CourseProgress.count'], dimensions: ['Learner.userId', 'CourseProgress.courseName'] };
    await page.goto(`/explore?${new URLSearchParams({ q: JSON.stringify(query), chart: 'table' }).toString()}`);
    const result = page.locator('section[data-tile="explore"]');
    const cut = result.getByTestId('cut-answer');
    await expect(cut).toHaveText('Showing the first 1,000 rows; more match. Narrow the query, or export it for every row.');
    await expect(result.locator('.table-footer [aria-live]')).toHaveText('Rows 1–25 of 1,000');
    // The limit field says what the gateway did with a query that set none.
    await expect(page.getByLabel('Rows at most')).toHaveValue('1000');
    await expectNoSeriousA11yViolations(page);
    const [download] = await Promise.all([page.waitForEvent('download'), result.getByRole('button', { name: 'Export CSV' }).click()]);
    expect((await readCsvDownload(download)).rows.length).toBeGreaterThan(1000);

    // A limit of the person's own: the export keeps to it, so the way to more is a higher limit.
    // Cleared to be typed again, the field waits (and says what it takes) rather than jumping back.
    const limit = page.getByLabel('Rows at most');
    await limit.fill('');
    await expect(page.getByRole('alert').filter({ hasText: 'A whole number from 1 to 50,000.' })).toBeVisible();
    await expect(limit).toHaveValue('');
    await limit.fill('10');
    await limit.press('Enter');
    await expect(cut).toHaveText('Showing the first 10 rows; more match. Narrow the query, or raise “Rows at most”.');
    await expect(limit).toHaveValue('10');

    // An answer that is whole says nothing of the kind.
    const whole = { measures: ['CourseProgress.count'], dimensions: ['CourseProgress.status'] };
    await page.goto(`/explore?${new URLSearchParams({ q: JSON.stringify(whole), chart: 'table' }).toString()}`);
    await expect(result.locator('tbody tr').first()).toBeVisible();
    await expect(cut).toHaveCount(0);
  });

  test('a series over time keeps the days between From and To, a link keeps them, and a range ending before it starts is refused', async ({ page, signIn }) => {
    await signIn('admin');
    const query = { measures: ['CourseProgress.completed'], timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'month' } };
    await page.goto(`/explore?${new URLSearchParams({ q: JSON.stringify(query), chart: 'table' }).toString()}`);
    const result = page.locator('section[data-tile="explore"]');
    await expect(result.locator('tbody tr').first()).toBeVisible();
    const months = await result.locator('tbody th').allTextContents();
    expect(months).toEqual(expect.arrayContaining(['Jan 2026', 'Feb 2026', 'Mar 2026', 'Apr 2026']));
    const completedIn = Object.fromEntries(await result.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')?.textContent ?? '', tr.querySelector('td')?.textContent ?? ''])));

    await page.getByLabel('Over time from').fill('2026-01-01');
    await page.getByLabel('Over time to').fill('2026-03-31');
    await expect(page).toHaveURL(/dateRange.*2026-01-01.*2026-03-31/);
    // The first quarter's months alone, each with the completions it had in the whole series.
    await expect(result.locator('tbody th')).toHaveText(['Jan 2026', 'Feb 2026', 'Mar 2026']);
    await expect(result.locator('tbody td').first()).toHaveText(completedIn['Jan 2026']);
    await page.reload();
    await expect(page.getByLabel('Over time from')).toHaveValue('2026-01-01');
    await expect(result.locator('tbody th')).toHaveText(['Jan 2026', 'Feb 2026', 'Mar 2026']);

    await page.getByLabel('Over time from').fill('2026-06-01');
    await expect(page.getByRole('alert').filter({ hasText: 'From' })).toContainText('“From” is after “To”');
    await expect(result.locator('tbody th')).toHaveText(['Jan 2026', 'Feb 2026', 'Mar 2026']);
    await expectNoSeriousA11yViolations(page);
  });

  for (const width of [1280, 390]) {
    test(`the From and To days of a series fit their panel at ${width} px, each with its calendar button`, async ({ page, signIn }) => {
      await page.setViewportSize({ width, height: 860 });
      await signIn('admin');
      const query = { measures: ['CourseProgress.completed'], timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'month', dateRange: ['2026-01-01', '2026-03-31'] } };
      await page.goto(`/explore?${new URLSearchParams({ q: JSON.stringify(query), chart: 'table' }).toString()}`);
      const to = page.getByLabel('Over time to');
      await expect(to).toHaveValue('2026-03-31');
      const panel = page.getByRole('group', { name: 'Over time' });
      const box = (await panel.boundingBox())!;
      for (const end of [page.getByLabel('Over time from'), to]) {
        const input = (await end.boundingBox())!;
        expect(input.x).toBeGreaterThanOrEqual(box.x);
        expect(input.x + input.width).toBeLessThanOrEqual(box.x + box.width);
      }
      await panel.screenshot({ path: `/tmp/h-drill/explore-range-${width}.png` });
    });
  }

  test('a pie or bars of two groupings, a pie of dozens of slices or dozens of lines show the table instead, saying why; a line draws one line per value along the time', async ({ page, signIn }) => {
    await signIn('admin');
    const query = {
      measures: ['CourseProgress.count'],
      dimensions: ['CourseProgress.courseType'],
      timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'month' },
    };
    await page.goto(`/explore?${new URLSearchParams({ q: JSON.stringify(query), chart: 'pie' }).toString()}`);
    const result = page.locator('section[data-tile="explore"]');
    await expect(result.getByTestId('chart-unfit')).toHaveText(
      'A pie chart shows one grouping, and this has 2: shown as a table. Group by one thing only, or choose a line chart (one line per value, along the time).',
    );
    await expect(result.getByRole('table')).toBeVisible();
    await expect(result.locator('.recharts-pie')).toHaveCount(0);
    await page.getByLabel('Show as').selectOption('bar');
    await expect(result.getByTestId('chart-unfit')).toContainText('A bar chart shows one grouping, and this has 2');
    await page.getByLabel('Show as').selectOption('line');
    await expect(result.getByTestId('chart-unfit')).toHaveCount(0);
    await expect(result.locator('.recharts-legend-item')).toHaveCount(3);
    await expectNoSeriousA11yViolations(page);

    // Dozens of courses: a pie's legend, or a line per course, would outgrow the tile; the table says so.
    const byCourse = { measures: ['CourseProgress.count'], dimensions: ['CourseProgress.courseName'] };
    await page.goto(`/explore?${new URLSearchParams({ q: JSON.stringify(byCourse), chart: 'pie' }).toString()}`);
    await expect(result.getByTestId('chart-unfit')).toContainText(/^A pie chart shows at most 12 shares, and this has \d+: shown as a table\./);
    await expect(result.locator('.recharts-pie')).toHaveCount(0);
    const overTime = { ...byCourse, timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'quarter' } };
    await page.goto(`/explore?${new URLSearchParams({ q: JSON.stringify(overTime), chart: 'line' }).toString()}`);
    await expect(result.getByTestId('chart-unfit')).toContainText(/^A line chart draws at most 10 lines, and this has \d+: shown as a table\./);
    await expect(result.getByRole('table')).toBeVisible();
  });

  test("the bar of the month the data ends in is hatched and said to be the month to date, not read as a drop", async ({ page, signIn }) => {
    await signIn('admin');
    const query = { measures: ['CourseProgress.completed'], timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'month' } };
    await page.goto(`/explore?${new URLSearchParams({ q: JSON.stringify(query), chart: 'bar' }).toString()}`);
    const result = page.locator('section[data-tile="explore"]');
    await expect(result.locator('.recharts-bar-rectangle').first()).toBeVisible();
    // The tenant's data is as of 30 June 2026 at midnight: it runs through 29 June.
    await expect(result.getByTestId('partial-period')).toHaveText("Jun 2026: month to date, to 29 Jun, so its figures are not a whole month's (the hatched bar).");
    // Only June's bar, the last one, is filled with the hatch; the others keep their colour.
    const fills = await result.locator('.recharts-bar-rectangle path').evaluateAll((paths) => paths.map((p) => p.getAttribute('fill') ?? ''));
    expect(fills.length).toBeGreaterThan(1);
    expect(fills.slice(0, -1).every((fill) => !fill.startsWith('url(#'))).toBe(true);
    expect(fills.at(-1)).toMatch(/^url\(#hatch-[\w-]+\)$/);
    await expect(result.locator(fills.at(-1)!.slice(4, -1).replace(/^#/, 'pattern#'))).toBeAttached();
    // Its tooltip names the period the same way.
    await result.locator('.recharts-bar-rectangle').last().hover();
    await expect(result.locator('.recharts-tooltip-wrapper')).toContainText('Jun 2026 (month to date, to 29 Jun)');
    await expectNoSeriousA11yViolations(page);
    // The same series as a line: June's part of it is dashed instead.
    await page.getByLabel('Show as').selectOption('line');
    await expect(result.getByTestId('partial-period')).toHaveText("Jun 2026: month to date, to 29 Jun, so its figures are not a whole month's (the dashed part of the line).");
    await expect(result.locator('.recharts-line.partial-period path[stroke-dasharray]').first()).toBeAttached();
  });
});
