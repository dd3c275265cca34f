import type { Locator, Page } from '@playwright/test';
import { readCsvDownload } from './csv';
import { expect, expectNoSeriousA11yViolations, saveScreenshot, test } from './fixtures';

/**
 * Every row of a paginated table: its first column (the row header), or the cells `cells` picks, on
 * each page. The cells are read once a page, and the Next button is looked for in the pager alone,
 * not among the hundreds of links of a page of a hundred rows.
 */
async function allRowHeaders(tile: Locator, cells = 'tbody th'): Promise<string[]> {
  const seen: string[] = [];
  const shown = tile.locator(`table ${cells}`);
  const next = tile.locator('nav.pager').getByRole('button', { name: 'Next' });
  for (;;) {
    const page = await shown.allTextContents();
    seen.push(...page);
    if (!(await next.isVisible()) || (await next.isDisabled())) return seen;
    await next.click();
    await expect(shown.first()).not.toHaveText(page[0] ?? '');
  }
}

/** My team's Reports: the learner's name is the row header, the LMS id (what tells two of one name apart) the cell beside it. */
const LEARNER_IDS = 'tbody tr > td:nth-child(2)';

function tile(page: Page, id: string): Locator {
  return page.locator(`section[data-tile="${id}"]`);
}

test.describe('dashboards', () => {
  test("a manager's My team lists exactly their reports, with the data's date and version", async ({ page, world, signIn }) => {
    await signIn('manager');
    await expect(page).toHaveURL(/\/dashboards\/my-team$/);
    await expect(page.getByRole('heading', { level: 1, name: 'My team' })).toBeVisible();
    await expect(page.getByTestId('as-of')).toContainText(/Data as of .*2026.* version 1/);
    const reports = tile(page, 'reports');
    await expect(reports.getByRole('table')).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link').first()).toHaveText('My team');
    await expectNoSeriousA11yViolations(page);
    await saveScreenshot(page, 'my-team');
    await expect(reports.locator('thead th').nth(0)).toHaveText(/^Learner\b/);
    await expect(reports.locator('thead th').nth(1)).toHaveText(/^Learner id/);
    const ids = await allRowHeaders(reports, LEARNER_IDS);
    expect(ids.map((id) => Number(id.replace(/\D/g, ''))).sort((a, b) => a - b)).toEqual(world.manager.reportKeys);
  });

  test("an export downloads a CSV of every row of the table's list, in the order shown", async ({ page, signIn }) => {
    await signIn('manager');
    const reports = tile(page, 'reports');
    await expect(reports.getByRole('table')).toBeVisible();
    // Sort by name, descending: the file follows the screen.
    await reports.getByRole('button', { name: 'Learner', exact: true }).click();
    await reports.getByRole('button', { name: 'Learner', exact: true }).click();
    await expect(reports.locator('th[aria-sort="descending"]')).toHaveCount(1);
    await expect(reports.locator('[aria-busy]')).toHaveCount(0);
    const shown = (await reports.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => (tr.children[0]?.textContent ?? '').trim())));
    const total = Number((/of ([\d,]+)/.exec((await reports.getByText(/^Rows \d+/).textContent()) ?? '')?.[1] ?? String(shown.length)).replace(/,/g, ''));

    const [download] = await Promise.all([page.waitForEvent('download'), reports.getByRole('button', { name: 'Export CSV' }).click()]);
    // Named after what the screen shows, not the query's measures.
    expect(download.suggestedFilename()).toBe('kineo-my-team-reports-v1.csv');
    const { header, rows } = await readCsvDownload(download);
    expect(header).toContain('Learner');
    expect(rows).toHaveLength(total);
    const nameAt = header.indexOf('Learner');
    expect(rows.slice(0, shown.length).map((r) => r[nameAt])).toEqual(shown);
  });

  test("an org admin's Reports are the whole organisation, paged on the server: every learner once, counted as the summary counts them", async ({ page, world, signIn }) => {
    // Walks every page of over a thousand learners, a hundred a page, one request a page.
    test.setTimeout(180_000);
    const learners = world.noCertsLearners;
    expect(learners).toBeGreaterThan(1000);
    const pages = Math.ceil(learners / 25);
    const n = (value: number) => value.toLocaleString('en-GB');
    // The pages the table's links open, fetched ahead by the browser (Next's prefetch).
    const fetchedAhead: string[] = [];
    page.on('request', (request) => {
      if (request.headers()['next-router-prefetch'] && new URL(request.url()).pathname.endsWith('/learners')) fetchedAhead.push(request.url());
    });
    await signIn('noCertsAdmin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My team' }).click();
    await expect(page).toHaveURL(/\/dashboards\/my-team$/);
    const headline = tile(page, 'summary').locator('.kpi').filter({ has: page.locator('dt', { hasText: /^Learners$/ }) }).locator('dd');
    await expect(headline).toHaveText(n(learners));

    const reports = tile(page, 'reports');
    const table = reports.getByRole('table');
    const footer = reports.locator('.table-footer [aria-live]');
    const pager = reports.getByRole('navigation', { name: 'Pages of Reports' });
    await expect(footer).toHaveText(`Rows 1–25 of ${n(learners)}`);
    await expect(pager).toContainText(`Page 1 of ${n(pages)}`);
    await expect(pager.getByRole('button', { name: 'Previous' })).toBeDisabled();
    await expectNoSeriousA11yViolations(page);
    const first = await table.locator(LEARNER_IDS).allTextContents();

    await pager.getByRole('button', { name: 'Next' }).click();
    await expect(footer).toHaveText(`Rows 26–50 of ${n(learners)}`);
    await expect(pager).toContainText(`Page 2 of ${n(pages)}`);
    const second = await table.locator(LEARNER_IDS).allTextContents();
    expect(second).toHaveLength(25);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    await pager.getByRole('button', { name: 'Previous' }).click();
    await expect(footer).toHaveText(`Rows 1–25 of ${n(learners)}`);
    await expect(table.locator(LEARNER_IDS)).toHaveText(first);

    // More rows a page: the same list, in the same order, fewer pages.
    const size = reports.getByLabel('Rows per page of Reports');
    await expect(size).toHaveValue('25');
    await size.selectOption('50');
    await expect(footer).toHaveText(`Rows 1–50 of ${n(learners)}`);
    await expect(table.locator(LEARNER_IDS)).toHaveText([...first, ...second]);
    await size.selectOption('100');
    const longPages = Math.ceil(learners / 100);
    await expect(footer).toHaveText(`Rows 1–100 of ${n(learners)}`);
    await expect(pager).toContainText(`Page 1 of ${n(longPages)}`);
    await expectNoSeriousA11yViolations(page);

    // Page after page to the end: each learner exactly once, and the last page holds the remainder.
    const ids = await allRowHeaders(reports, LEARNER_IDS);
    expect(ids).toHaveLength(learners);
    expect(new Set(ids).size).toBe(learners);
    expect(ids.slice(0, 50)).toEqual([...first, ...second]);
    const last = learners - 100 * (longPages - 1);
    await expect(footer).toHaveText(`Rows ${n(learners - last + 1)}–${n(learners)} of ${n(learners)}`);
    await expect(pager).toContainText(`Page ${n(longPages)} of ${n(longPages)}`);
    await expect(table.locator('tbody tr')).toHaveCount(last);
    await expect(pager.getByRole('button', { name: 'Next' })).toBeDisabled();
    // Thousands of figures went by, each a link to the learners behind it: none was fetched
    // unasked. A figure pointed at is fetched ahead, so the click that follows is quick.
    expect(fetchedAhead).toEqual([]);
    const figure = table.locator('tbody td a').first();
    const href = await figure.getAttribute('href');
    await figure.hover();
    const withoutRsc = (url: string) => {
      const u = new URL(url, page.url());
      u.searchParams.delete('_rsc');
      return u.pathname + u.search;
    };
    await expect.poll(() => fetchedAhead.map(withoutRsc)).toContain(withoutRsc(href!));

    // The choice stays with this browser: the next visit lists a hundred a page from the first.
    await page.reload();
    await expect(reports.getByLabel('Rows per page of Reports')).toHaveValue('100');
    await expect(footer).toHaveText(`Rows 1–100 of ${n(learners)}`);
    await expect(table.locator(LEARNER_IDS)).toHaveCount(100);
  });

  test("sorting an org admin's Reports orders the whole list in the warehouse, from its first page, the link keeps the order, and the CSV holds every learner in that order", async ({ page, world, signIn }) => {
    const learners = world.noCertsLearners;
    await signIn('noCertsAdmin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My team' }).click();
    const reports = tile(page, 'reports');
    const footer = reports.locator('.table-footer [aria-live]');
    const pager = reports.getByRole('navigation', { name: 'Pages of Reports' });
    await expect(footer).toHaveText(`Rows 1–25 of ${learners.toLocaleString('en-GB')}`);
    await pager.getByRole('button', { name: 'Next' }).click();
    await expect(footer).toHaveText(/^Rows 26–50 of /);

    await reports.getByRole('button', { name: 'Learner', exact: true }).click();
    await expect(reports.locator('th[aria-sort="ascending"]').getByRole('button', { name: 'Learner', exact: true })).toBeVisible();
    await expect(footer).toHaveText(`Rows 1–25 of ${learners.toLocaleString('en-GB')}`);
    await expect(pager).toContainText('Page 1 of');
    await expect(reports.locator('[aria-busy]')).toHaveCount(0);
    const shown = await reports.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => (tr.children[0]?.textContent ?? '').trim()));
    expect(shown).toHaveLength(25);
    // The order is part of the link: a reload (or the link sent on) shows the table sorted as it was.
    await expect(page).toHaveURL(/[?&]sort-reports=Learner\.fullName%3Aasc/);
    await page.reload();
    await expect(reports.locator('th[aria-sort="ascending"]').getByRole('button', { name: 'Learner', exact: true })).toBeVisible();
    await expect(reports.locator('[aria-busy]')).toHaveCount(0);
    await expect(reports.locator('tbody tr').first().locator('th, td').first()).toHaveText(shown[0]);
    // Back takes the order off, as it takes a filter off.
    await page.goBack();
    await expect(reports.locator('th[aria-sort]')).toHaveCount(0);
    await page.goForward();
    await expect(reports.locator('th[aria-sort="ascending"]')).toHaveCount(1);

    const [download] = await Promise.all([page.waitForEvent('download'), reports.getByRole('button', { name: 'Export CSV' }).click()]);
    const { header, rows } = await readCsvDownload(download);
    expect(rows).toHaveLength(learners);
    const names = rows.map((r) => r[header.indexOf('Learner')]);
    expect(names.slice(0, 25)).toEqual(shown);
    // The warehouse's order (code points: 'Z' before 'Ø'), over the whole list, not the browser's over a page.
    expect(names).toEqual([...names].sort());
  });

  test('a bar chart of names writes every name down its side, scrolling inside its tile when they are many; one of months keeps them along the bottom', async ({ page, signIn }) => {
    await signIn('admin');
    // Every name the chart's data table lists (every page, in the chart's order) is written on its
    // axis, whole or cut with an ellipsis where longer than the column (the table has it whole): at
    // its end, or in its middle for a label ending in what tells it from a namesake ("(... East)") or
    // one that would otherwise read like another. A
    // label recharts breaks over lines is one tspan a line, and an SVG label is one line of words, so
    // a name holding a line break, as LMS names may, is read as spaces.
    const expectEveryNameWritten = async (chart: Locator): Promise<number> => {
      await expect(chart.locator('.recharts-bar-rectangle').first()).toBeVisible();
      await chart.getByText('Data table').click();
      const names = await allRowHeaders(chart);
      const ticks = await chart
        .locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value')
        .evaluateAll((texts) => texts.map((t) => [...t.querySelectorAll('tspan')].map((line) => line.textContent).join(' ')));
      expect(ticks).toHaveLength(names.length);
      ticks.forEach((tick, i) => {
        const [shown, whole] = [tick, names[i]].map((text) => text.replace(/\s+/g, ' ').trim());
        const cut = shown.indexOf('…');
        const [head, tail] = [shown.slice(0, cut), shown.slice(cut + 1)];
        expect(shown === whole || (cut >= 0 && whole.startsWith(head) && whole.endsWith(tail)), `${tick} for ${names[i]}`).toBe(true);
      });
      return names.length;
    };

    await page.goto('/dashboards/program-progress');
    const byProgram = tile(page, 'by-program');
    expect(await expectEveryNameWritten(byProgram)).toBeGreaterThan(3);
    await expect(byProgram.getByRole('region', { name: /every bar, scrollable/ })).toHaveCount(0);

    // Enrolments by course in Explore: so many courses that the chart scrolls in its tile, by
    // keyboard too, with its scale at the top; every course still on the axis.
    const byCourse = { measures: ['CourseProgress.count'], dimensions: ['CourseProgress.courseName'] };
    await page.goto(`/explore?${new URLSearchParams({ q: JSON.stringify(byCourse), chart: 'bar' }).toString()}`);
    const explored = page.locator('section[data-tile="explore"]');
    expect(await expectEveryNameWritten(explored)).toBeGreaterThan(20);
    const scroller = explored.getByRole('region', { name: /: every bar, scrollable$/ });
    await expect(scroller).toBeVisible();
    expect(await scroller.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    // Looked at from its top, its scale is in sight (not below the names, out of the box).
    await scroller.scrollIntoViewIfNeeded();
    await expect(explored.locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value').first()).toBeInViewport();
    await scroller.focus();
    await page.keyboard.press('End');
    await expect.poll(() => scroller.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
    await expectNoSeriousA11yViolations(page);

    // A monthly series stays a row of vertical bars along its time axis.
    const query = { measures: ['CourseProgress.completed'], timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'month' } };
    await page.goto(`/explore?${new URLSearchParams({ q: JSON.stringify(query), chart: 'bar' }).toString()}`);
    const result = page.locator('section[data-tile="explore"]');
    await expect(result.locator('.recharts-bar-rectangle').first()).toBeVisible();
    await expect(result.locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value').first()).toHaveText(/20\d\d/);
    await expect(result.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').first()).toHaveText(/^\d[\d,]*$/);
  });

  test('a chart that draws the first 50 of more says so, and exports every row in the order drawn', async ({ page, signIn }) => {
    // This tenant's 4,800 users sit in over 100 organisations; the chart by organisation draws the 50 with the most enrolments.
    await signIn('noCertsAdmin');
    await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
    const byOrganisation = tile(page, 'by-organisation');
    const cut = byOrganisation.getByTestId('cut-chart');
    await expect(cut).toContainText('Showing the first 50 by Enrolments, largest first; there are more.');
    await byOrganisation.getByText('Data table').click();
    const drawn = await allRowHeaders(byOrganisation);
    expect(drawn).toHaveLength(50);
    // Fifty bars, fifty different names down the side, however many are cut to fit.
    const written = await byOrganisation.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();
    expect(written).toHaveLength(50);
    expect(new Set(written).size).toBe(50);
    await expectNoSeriousA11yViolations(page);

    const [download] = await Promise.all([page.waitForEvent('download'), cut.getByRole('button', { name: 'Export CSV' }).click()]);
    const { header, rows } = await readCsvDownload(download);
    expect(rows.length).toBeGreaterThan(50);
    const organisations = rows.map((r) => r[header.indexOf('Organisation')]);
    expect(organisations.slice(0, 50)).toEqual(drawn);
    // One row per organisation: a name several share ("Payroll") is told apart by its parent's, never summed as one.
    expect(new Set(organisations).size).toBe(rows.length);
    expect(organisations.filter((o) => /^Payroll \(.+\)$/.test(o)).length).toBeGreaterThan(1);
    const counts = rows.map((r) => Number(r[header.indexOf('Enrolments')]));
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    // Every organisation's enrolments: together, the dashboard's own count of them.
    const enrolments = tile(page, 'summary').locator('.kpi').filter({ has: page.locator('dt', { hasText: /^Enrolments$/ }) }).locator('dd');
    expect(counts.reduce((a, b) => a + b, 0).toLocaleString('en-GB')).toBe(await enrolments.textContent());

    // A chart that draws all it has says nothing of the kind.
    await expect(tile(page, 'by-course-type').getByTestId('cut-chart')).toHaveCount(0);
  });

  test('a filter with more values than its list holds says so and finds the others as you type; a manager, told apart from a namesake, narrows the figures to their team', async ({
    page,
    signIn,
  }) => {
    // This tenant's 4,800 users have over 700 managers, many of them sharing a name with another user.
    await signIn('noCertsAdmin');
    await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
    const enrolments = tile(page, 'summary').locator('.kpi').filter({ has: page.locator('dt', { hasText: /^Enrolments$/ }) }).locator('dd');
    await expect(enrolments).toHaveText(/\d/);
    const everyone = Number((await enrolments.textContent())!.replace(/,/g, ''));

    const select = page.getByLabel('Manager', { exact: true });
    const find = page.getByLabel('Find Manager');
    const note = page.locator('#filter-Learner-managerName-search-note');
    await expect(note).toHaveText('The first 500 are listed: type to find others.');
    await expect(select.locator('option')).toHaveCount(501); // "All" and the first 500, in order
    const listed = (await select.locator('option').allTextContents()).slice(1);
    expect(listed).toEqual([...listed].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(listed).size).toBe(500);
    // A manager whose name another user has is listed with their username, so the two are never taken as one.
    expect(listed.filter((m) => /^[^(]+ \([a-z0-9.]+\)$/.test(m)).length).toBeGreaterThan(0);
    await expectNoSeriousA11yViolations(page);

    // Names at the end of the alphabet are past the first 500: typing finds them.
    await find.fill('zofia');
    await expect(note).toHaveText(/^\d+ contains? \u201czofia\u201d\.$/);
    const found = (await select.locator('option').allTextContents()).slice(1);
    expect(found.length).toBeGreaterThan(0);
    for (const name of found) {
      expect(name.toLowerCase()).toContain('zofia');
      expect(listed).not.toContain(name);
    }
    await find.fill('zofiaqq');
    await expect(note).toHaveText('None contains \u201czofiaqq\u201d.');
    await expect(select.locator('option')).toHaveCount(1);
    await find.fill('zofia');
    await expect(select.locator('option')).toHaveCount(found.length + 1);

    await select.selectOption(found[0]);
    await expect(page.getByRole('list', { name: 'Manager: chosen' }).getByRole('listitem')).toHaveText([`${found[0]}×`]);
    expect(new URL(page.url()).searchParams.getAll('Learner.managerName')).toEqual([found[0]]);
    await expect(tile(page, 'summary').locator('[aria-busy]')).toHaveCount(0);
    await expect.poll(async () => Number((await enrolments.textContent())!.replace(/,/g, ''))).toBeLessThan(everyone);
    // A short list (course types) has no search box.
    await expect(page.getByLabel('Find Course type')).toHaveCount(0);

    // A link to a manager past the first 500 is taken as theirs (asked for by name), and one to nobody says so.
    await page.goto(`/dashboards/course-completion?${new URLSearchParams([['Learner.managerName', found[0]], ['Learner.managerName', 'Nobody Here']]).toString()}`);
    await expect(page.getByRole('list', { name: 'Manager: chosen' }).getByRole('listitem')).toHaveText([`${found[0]}×`, 'Nobody Here (not found)×']);
  });

  test('a filter change updates the chart and the URL, reloading the URL restores it, a filter takes several values, and Back takes a change off', async ({ page, signIn }) => {
    await signIn('admin');
    await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
    const byOrganisation = tile(page, 'by-organisation');
    await expect(byOrganisation.locator('.recharts-bar-rectangle').first()).toBeVisible();
    const barsBefore = await byOrganisation.locator('.recharts-bar-rectangle').count();
    expect(barsBefore).toBeGreaterThan(1);
    await expectNoSeriousA11yViolations(page);
    await saveScreenshot(page, 'course-completion');

    const select = page.getByLabel('Organisation', { exact: true });
    await expect(select.locator('option')).not.toHaveCount(1);
    const organisation = (await select.locator('option').nth(1).textContent())!;
    await select.selectOption(organisation);
    await expect(page).toHaveURL(new RegExp(`Learner\\.organisationName=${encodeURIComponent(organisation).replace(/%20/g, '(\\+|%20)')}`));
    await expect(byOrganisation.locator('.recharts-bar-rectangle')).toHaveCount(1);
    await byOrganisation.getByText('Data table').click();
    await expect(byOrganisation.locator('tbody th')).toHaveText([organisation]);

    await page.reload();
    const chosen = page.getByRole('list', { name: 'Organisation: chosen' });
    await expect(chosen.getByRole('listitem')).toHaveText([`${organisation}×`]);
    await expect(tile(page, 'by-organisation').locator('.recharts-bar-rectangle')).toHaveCount(1);

    // A second organisation is added beside the first (either of them), and each comes off by its own button.
    const second = (await page.getByLabel('Organisation', { exact: true }).locator('option').nth(1).textContent())!;
    expect(second).not.toBe(organisation);
    await page.getByLabel('Organisation', { exact: true }).selectOption(second);
    await expect(chosen.getByRole('listitem')).toHaveText([`${organisation}×`, `${second}×`]);
    expect(new URL(page.url()).searchParams.getAll('Learner.organisationName')).toEqual([organisation, second]);
    await expect(tile(page, 'by-organisation').locator('.recharts-bar-rectangle')).toHaveCount(2);
    await expectNoSeriousA11yViolations(page);
    await chosen.getByRole('button', { name: `Remove ${organisation} from Organisation` }).click();
    await expect(chosen.getByRole('listitem')).toHaveText([`${second}×`]);
    expect(new URL(page.url()).searchParams.getAll('Learner.organisationName')).toEqual([second]);
    await expect(tile(page, 'by-organisation').locator('.recharts-bar-rectangle')).toHaveCount(1);

    // Back takes the last change off, one at a time, and Forward puts it back: each change is a step of the history.
    await page.goBack();
    await expect(chosen.getByRole('listitem')).toHaveText([`${organisation}×`, `${second}×`]);
    await expect(tile(page, 'by-organisation').locator('.recharts-bar-rectangle')).toHaveCount(2);
    await page.goBack();
    await expect(chosen.getByRole('listitem')).toHaveText([`${organisation}×`]);
    await page.goForward();
    await expect(chosen.getByRole('listitem')).toHaveText([`${organisation}×`, `${second}×`]);
    await expect(page).toHaveURL(/\/dashboards\/course-completion\?/);
  });

  test('"Organisation and below" takes an organisation with everything under it, and the link keeps it', async ({ page, signIn }) => {
    await signIn('admin');
    const tree = page.getByLabel('Organisation and below', { exact: true });
    // The hierarchy in order, each organisation indented under its parent.
    await expect
      .poll(async () => (await tree.locator('option').allTextContents()).some((label) => label.startsWith('\u00a0')), { message: 'organisations indented under their parents' })
      .toBe(true);
    const options = await tree.locator('option').evaluateAll((all) => all.map((o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent ?? '' })));
    const depth = (label: string) => label.length - label.replace(/^\u00a0+/, '').length;
    const subtreeOf = (at: number) => {
      const names = [options[at].label.trim()];
      for (let i = at + 1; i < options.length && depth(options[i].label) > depth(options[at].label); i++) names.push(options[i].label.trim());
      return names;
    };
    // The largest part of the hierarchy that is not all of it: a parent and the organisations under it.
    const parents = options.map((_, i) => i).filter((i) => options[i].value && subtreeOf(i).length > 1 && subtreeOf(i).length < options.length - 1);
    expect(parents.length).toBeGreaterThan(0);
    const at = parents.reduce((best, i) => (subtreeOf(i).length > subtreeOf(best).length ? i : best));
    const subtree = subtreeOf(at);

    await tree.selectOption(options[at].value);
    await expect(page).toHaveURL(new RegExp(`Learner\\.organisationTree=${encodeURIComponent(options[at].value)}(&|$)`));
    // Its chart by organisation now holds organisations of that part of the hierarchy only, and more than the one chosen.
    const byOrganisation = tile(page, 'by-organisation');
    await byOrganisation.getByText('Data table').click();
    await expect
      .poll(async () => {
        const shown = await byOrganisation.locator('tbody th').allTextContents();
        return shown.length > 1 && shown.every((name) => subtree.includes(name));
      })
      .toBe(true);
    // The link keeps it, and says so.
    await page.reload();
    await expect(page.getByRole('list', { name: 'Organisation and below: chosen' }).getByRole('listitem')).toHaveText([`${subtree[0]}×`]);
  });

  test('a long hierarchy in "Organisation and below" is narrowed as you type, and what is chosen from it takes its subtree', async ({ page, signIn }) => {
    // This tenant's learners sit in over 100 organisations, some sharing a name ("Payroll").
    await signIn('noCertsAdmin');
    const tree = page.getByLabel('Organisation and below', { exact: true });
    const note = page.locator('#filter-organisation-tree-search-note');
    await expect(note).toHaveText(/^All [\d,]+ are listed: type to narrow them\.$/);
    const all = Number(/All ([\d,]+)/.exec((await note.textContent())!)![1].replace(/,/g, ''));
    expect(all).toBeGreaterThan(100);
    await expect(tree.locator('option')).toHaveCount(all + 1);
    await page.getByLabel('Find Organisation and below').fill('payroll');
    await expect(note).toHaveText(/^\d+ contains? \u201cpayroll\u201d\.$/);
    const found = (await tree.locator('option').allTextContents()).slice(1);
    expect(found.length).toBeGreaterThan(1);
    expect(found.every((name) => name.toLowerCase().includes('payroll'))).toBe(true);
    await tree.selectOption({ label: found[0] });
    await expect(page.getByRole('list', { name: 'Organisation and below: chosen' }).getByRole('listitem')).toHaveText([`${found[0]}×`]);
    await expect(page).toHaveURL(/Learner\.organisationTree=%2F\d+%2F/);
    await expectNoSeriousA11yViolations(page);
  });

  test('"Organisation and below" follows a manager\'s Reports: direct reports only lists the organisations they sit in and those above, fewer than everyone below', async ({ page, signIn }) => {
    await signIn('manager');
    const tree = page.getByLabel('Organisation and below', { exact: true });
    const listed = async () => (await tree.locator('option').allTextContents()).slice(1).map((label) => label.trim());
    await expect.poll(async () => (await listed()).length).toBeGreaterThan(0);
    const everyone = await listed();
    // Those above the manager's reports are headings of the tree, not choices: the company is one.
    await expect(tree.locator('option', { hasText: /^Northwind Group$/ })).toBeDisabled();
    await page.getByRole('form', { name: 'Filters' }).getByLabel('Reports').selectOption('direct');
    await expect(page).toHaveURL(/[?&]reach=direct(&|$)/);
    await expect.poll(async () => (await listed()).length).toBeLessThan(everyone.length);
    const direct = await listed();
    expect(direct.every((name) => everyone.includes(name))).toBe(true);
    // Each organisation a direct report sits in (the Organisation filter's values, of the same reach) is offered.
    const own = page.getByLabel('Organisation', { exact: true });
    await expect(own.locator('option')).not.toHaveCount(1);
    // Both lists are asked for again with the reach: compare the two answers once both have come.
    await expect
      .poll(
        async () => {
          const tree = await listed();
          return (await own.locator('option').allTextContents()).slice(1).filter((name) => !tree.includes(name));
        },
        { message: "the Organisation filter offers only organisations of the tree's direct reach" },
      )
      .toEqual([]);
    expect((await listed()).length).toBeLessThan(everyone.length);
  });

  test('a viewer granted a division sees the company above it only as a heading, and a link to the company says the figures cover the division alone', async ({ page, world, signIn }) => {
    const division = world.grantedDivision;
    const companyId = Number(division.path.split('/')[1]);
    await signIn('divisionViewer');
    await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
    const tree = page.getByLabel('Organisation and below', { exact: true });
    // The company heads the tree, so the division reads as part of it, and cannot be chosen; the division can.
    const company = tree.locator(`option[value="/${companyId}/"]`);
    await expect(company).toHaveText('Northwind Group');
    await expect(company).toBeDisabled();
    const own = tree.locator(`option[value="/${division.id}/"]`);
    await expect(own).toHaveText(`\u00a0\u00a0${division.name}`);
    await expect(own).toBeEnabled();
    const enrolments = tile(page, 'summary').locator('.kpi').filter({ has: page.locator('dt', { hasText: /^Enrolments$/ }) }).locator('dd');
    await expect(enrolments).toHaveText(/^[1-9][\d,]*$/);
    const unfiltered = (await enrolments.textContent())!;

    // An old or a hand-edited link to the company: what it covers is said, and the figures are the division's as they were.
    await page.goto(`/dashboards/course-completion?Learner.organisationTree=${encodeURIComponent(`/${companyId}/`)}`);
    const said = `You see only ${division.name} and what is below it: the figures cover only those.`;
    const treeField = page.locator('.field').filter({ has: tree });
    await expect(page.getByRole('list', { name: 'Organisation and below: chosen' }).getByRole('listitem')).toHaveText(['Northwind Group (outside what you see)×']);
    await expect(treeField.getByRole('status')).toHaveText(said);
    // Chosen by the link, the company still heads the list, still not a choice.
    await expect(company).toBeDisabled();
    await expect(enrolments).toHaveText(unfiltered);
    await expectNoSeriousA11yViolations(page);

    // "Organisation" (the company's own learners alone) says the same; none of them is the viewer's to count.
    await page.goto('/dashboards/course-completion?Learner.organisationName=Northwind+Group');
    const nameField = page.locator('.field').filter({ has: page.getByLabel('Organisation', { exact: true }) });
    await expect(page.getByRole('list', { name: 'Organisation: chosen' }).getByRole('listitem')).toHaveText(['Northwind Group (outside what you see)×']);
    await expect(nameField.getByRole('status')).toHaveText(said);

    // Taken off, the note goes with it.
    await page.getByRole('button', { name: 'Remove Northwind Group from Organisation' }).click();
    await expect(page.getByText(said)).toHaveCount(0);
  });

  test("a period keeps what happened in it: 'Completed' in one month gives that month's completions, the link keeps it, and a preset counts from today", async ({ page, signIn }) => {
    await signIn('admin');
    await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
    const kpi = (name: string) => tile(page, 'summary').locator('.kpi').filter({ has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd');
    // The month with the most completions but the last (which may be a month to date), from the chart's own table.
    const byMonth = tile(page, 'completions-by-month');
    await byMonth.getByText('Data table').click();
    const months = await byMonth.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')?.textContent ?? '', tr.querySelector('td')?.textContent ?? '']));
    expect(months.length).toBeGreaterThan(2);
    const [label, completed] = months.slice(0, -1).reduce((best, row) => (Number(row[1].replace(/,/g, '')) > Number(best[1].replace(/,/g, '')) ? row : best));
    expect(Number(completed.replace(/,/g, ''))).toBeGreaterThan(0);
    const first = new Date(`1 ${label}`);
    const pad = (n: number) => String(n).padStart(2, '0');
    const from = `${first.getFullYear()}-${pad(first.getMonth() + 1)}-01`;
    const to = `${first.getFullYear()}-${pad(first.getMonth() + 1)}-${pad(new Date(first.getFullYear(), first.getMonth() + 1, 0).getDate())}`;

    const period = page.getByLabel('Completed', { exact: true });
    await expect(period).toHaveValue('');
    await period.selectOption({ label: 'Custom range…' });
    await page.getByLabel('Completed from').fill(from);
    await page.getByLabel('Completed to').fill(to);
    await expect(page).toHaveURL(new RegExp(`[?&]CourseProgress\\.completedDate=${from}\\.\\.${to}(&|$)`));
    // Only the enrolments completed that month are left: as many as the month's point, every one complete.
    await expect(kpi('Completed')).toHaveText(completed);
    await expect(kpi('Enrolments')).toHaveText(completed);
    await expect(kpi('Completion rate')).toHaveText('100.0%');
    // A table's rates read with one decimal each, so a column lines up.
    const rates = await tile(page, 'by-course').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.children[6]?.textContent ?? ''));
    expect(rates.length).toBeGreaterThan(0);
    for (const rate of rates) expect(rate).toBe('100.0%');
    const days = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });
    const said = (d: string) => days.format(new Date(`${d}T00:00:00Z`));
    await expect(page.getByTestId('period-days-Completed')).toHaveText(`${said(from)} – ${said(to)}`);
    await expectNoSeriousA11yViolations(page);

    // The link keeps the range.
    await page.reload();
    await expect(page.getByLabel('Completed from')).toHaveValue(from);
    await expect(page.getByLabel('Completed to')).toHaveValue(to);
    await expect(kpi('Completed')).toHaveText(completed);
    // The learners behind the figure are that month's, and the list says which period cut it.
    await kpi('Completed').getByRole('link').click();
    await expect(page.getByTestId('drill-context')).toContainText(`Completed: ${said(from)} – ${said(to)}`);
    await expect(page.getByTestId('drill-total').locator('strong')).toHaveText(completed);
    // The list is a page of its dashboard: the navigation still marks Course completion, and only it.
    await expect(page.getByRole('navigation', { name: 'Main' }).locator('a[aria-current]')).toHaveText(['Course completion']);
    await page.getByRole('link', { name: /Back to Course completion/ }).click();
    await expect(page.getByLabel('Completed to')).toHaveValue(to);

    // A range ending before it starts is said to be wrong and not applied.
    await page.getByLabel('Completed from').fill(`${first.getFullYear() + 1}-01-01`);
    await expect(page.getByRole('alert').filter({ hasText: 'From' })).toContainText('“From” is after “To”');
    await expect(page).toHaveURL(new RegExp(`completedDate=${from}\\.\\.${to}`));

    // A preset stays a name in the link and counts from today; "Any time" takes the period off.
    await period.selectOption({ label: 'Last 12 months' });
    await expect(page).toHaveURL(/[?&]CourseProgress\.completedDate=last-12-months(&|$)/);
    const today = new Date();
    const iso = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    // From the day after this date a year ago (29 Feb counts from 1 Mar).
    const yearAgo = new Date(today.getFullYear() - 1, today.getMonth(), Math.min(today.getDate(), new Date(today.getFullYear() - 1, today.getMonth() + 1, 0).getDate()) + 1);
    await expect(page.getByTestId('period-days-Completed')).toHaveText(`${said(iso(yearAgo))} – ${said(iso(today))}`);
    await period.selectOption({ label: 'Any time' });
    await expect(page).not.toHaveURL(/completedDate/);
    await expect(page.getByTestId('period-days-Completed')).toHaveCount(0);
    await expect(kpi('Enrolments')).not.toHaveText(completed);

    // Nothing is completed in the days to come: the dashboard says the filters leave nothing (not
    // "upload a file"), and clears them in one press.
    await period.selectOption({ label: 'Next 30 days' });
    const nothing = page.getByRole('status').filter({ hasText: 'Nothing matches these filters' });
    await expect(nothing).toBeVisible();
    // The period begins after the last load's day, and the dashboard says so, with both days.
    const next30 = (await page.getByTestId('period-days-Completed').textContent()) ?? '';
    expect(next30).toContain(said(iso(today)));
    await expect(nothing.getByTestId('period-after-data')).toHaveText(
      `Completed: ${next30}. That begins after the data's last day, 30 June 2026: the figures run to the date the last load was taken on.`,
    );
    await expect(page.getByText('No course completions loaded yet')).toHaveCount(0);
    await nothing.getByRole('button', { name: 'Clear the filters' }).click();
    await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
    await expect(kpi('Enrolments')).toBeVisible();
    await expect(period).toHaveValue('');
  });

  test("a click on a chart's bar opens the learners behind it; the chart's table opens the same list by keyboard", async ({ page, signIn }) => {
    await signIn('admin');
    const byOrganisation = tile(page, 'by-organisation');
    await byOrganisation.getByText('Data table').click();
    const organisation = (await byOrganisation.locator('tbody th').first().textContent())!;
    await byOrganisation.locator('.recharts-bar-rectangle').first().click();
    await expect(page).toHaveURL(/\/dashboards\/course-completion\/learners\?/);
    await expect(page.getByRole('heading', { level: 1, name: 'Learners' })).toBeVisible();
    await expect(page.getByTestId('drill-context')).toContainText(`Organisation: ${organisation}`);
    const learners = page.getByRole('table');
    await expect(learners.locator('tbody tr').first()).toBeVisible();
    const organisationColumn = await learners.locator('thead th').allTextContents();
    const at = organisationColumn.findIndex((t) => t.startsWith('Organisation'));
    const orgs = await learners.locator('tbody tr').evaluateAll((trs, i) => trs.map((tr) => tr.children[i]?.textContent?.trim()), at);
    expect(new Set(orgs)).toEqual(new Set([organisation]));
    // The list says how long it is, and the table how much of it is loaded.
    const total = Number((await page.getByTestId('drill-total').locator('strong').textContent())!.replace(/\D/g, ''));
    expect(total).toBeGreaterThan(0);
    const loaded = await learners.locator('tbody tr').count();
    expect(loaded).toBe(Math.min(total, 100));
    await expect(page.locator('.table-footer')).toContainText(
      total > loaded ? `Showing ${loaded} of ${total.toLocaleString('en-GB')} rows` : `${loaded} rows`,
    );
    await expectNoSeriousA11yViolations(page);
    // A page of a hundred learners: the first screenful shows what the list is.
    await saveScreenshot(page, 'learners', false);

    await page.getByRole('link', { name: /Back to Course completion/ }).click();
    const table = tile(page, 'by-organisation');
    await table.getByText('Data table').click();
    const link = table.getByRole('link', { name: `Learners for ${organisation}` });
    await link.focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('drill-context')).toContainText(`Organisation: ${organisation}`);
  });

  test("a click on one of a row's several bars lists the learners behind that bar's figure, not the whole row; its figure in the chart's table opens the same list by keyboard", async ({ page, signIn }) => {
    await signIn('admin', { to: '/dashboards/program-progress' });
    const byProgram = tile(page, 'by-program');
    await expect(byProgram.locator('.recharts-bar-rectangle').first()).toBeVisible();
    await byProgram.getByText('Data table').click();
    const headers = await byProgram.locator('thead th').allTextContents();
    const overdueAt = headers.findIndex((h) => h.startsWith('Overdue'));
    expect(overdueAt).toBeGreaterThan(0);
    // The first program drawn (the most overdue) and its Overdue figure as the chart's table gives it.
    const firstRow = byProgram.locator('tbody tr').first();
    const program = (await firstRow.locator('th').textContent())!;
    const overdue = (await firstRow.locator('th, td').nth(overdueAt).textContent())!.trim();
    expect(Number(overdue.replace(/\D/g, ''))).toBeGreaterThan(0);

    // The Overdue series is drawn first: its first bar is the first program's.
    await byProgram.locator('.recharts-bar').first().locator('.recharts-bar-rectangle').first().click();
    await expect(page).toHaveURL(/\/dashboards\/program-progress\/learners\?.*measure=ProgramProgress\.overdue/);
    await expect(page.getByTestId('drill-context')).toContainText('Overdue and due soon by program · Overdue · ');
    await expect(page.getByTestId('drill-context')).toContainText(program);
    await expect(page.getByTestId('drill-total').locator('strong')).toHaveText(overdue);

    // The row's own link lists every assignment of the program: more than the bar counts.
    await page.getByRole('link', { name: /Back to Program progress/ }).click();
    const again = tile(page, 'by-program');
    await again.getByText('Data table').click();
    await again.getByRole('link', { name: `Learners for ${program}`, exact: true }).click();
    await expect(page.getByTestId('drill-total')).toBeVisible();
    const whole = (await page.getByTestId('drill-total').locator('strong').textContent())!;
    expect(Number(whole.replace(/\D/g, ''))).toBeGreaterThan(Number(overdue.replace(/\D/g, '')));

    // By keyboard: the Overdue figure in the table is a link to the same list as the bar.
    await page.getByRole('link', { name: /Back to Program progress/ }).click();
    const table = tile(page, 'by-program');
    await table.getByText('Data table').click();
    const figure = table.getByRole('link', { name: `Overdue for ${program}: ${overdue}, open the learners` });
    await figure.focus();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/measure=ProgramProgress\.overdue/);
    await expect(page.getByTestId('drill-total').locator('strong')).toHaveText(overdue);
  });

  test('a chart of two measures names both colours above its bars, in sight without scrolling, even when its bars scroll in the tile', async ({ page, signIn }) => {
    await signIn('admin', { to: '/dashboards/program-progress' });
    const byOrganisation = tile(page, 'by-organisation');
    await expect(byOrganisation.locator('.recharts-bar-rectangle').first()).toBeVisible();
    await byOrganisation.scrollIntoViewIfNeeded();
    const items = byOrganisation.locator('.recharts-legend-item');
    await expect(items).toHaveCount(2);
    await expect(byOrganisation.locator('.recharts-legend-item-text')).toHaveText([/\w/, /\w/]);
    for (const item of await items.all()) await expect(item).toBeInViewport();
    // Above the bars and outside any box they scroll in: nothing to scroll to read it.
    const legend = (await byOrganisation.locator('.recharts-legend-wrapper').boundingBox())!;
    const bars = (await byOrganisation.locator('.recharts-wrapper').boundingBox())!;
    expect(legend.y + legend.height).toBeLessThanOrEqual(bars.y + 1);
    await expect(byOrganisation.locator('.chart-scroll .recharts-legend-wrapper')).toHaveCount(0);
  });

  test("what a figure counts is a button away beside its name, in the headline figures and in a table's headers", async ({ page, signIn }) => {
    await signIn('admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Learning activity' }).click();
    const seminars = tile(page, 'seminar-summary');
    const attendance = seminars.getByRole('button', { name: 'What Attendance rate means' });
    await expect(attendance).toHaveAttribute('aria-expanded', 'false');
    await attendance.focus();
    await page.keyboard.press('Enter');
    await expect(attendance).toHaveAttribute('aria-expanded', 'true');
    await expect(seminars.getByRole('note')).toHaveText('Attendance rate: Attended over attended plus no-shows.');
    await page.keyboard.press('Escape');
    await expect(seminars.getByRole('note')).toBeHidden();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Course completion' }).click();
    const courses = tile(page, 'by-course');
    await expect(courses.getByRole('table')).toBeVisible();
    await courses.getByRole('button', { name: 'What Completion rate means' }).click();
    await expect(courses.getByRole('note').filter({ hasText: 'Completion rate:' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  });

  test("a list of learners says every filter and the reach that shaped it, as the filter bar names them", async ({ page, signIn }) => {
    await signIn('admin', { to: '/dashboards/course-completion?CourseProgress.courseType=seminar&CourseProgress.completedDate=last-12-months&inactive=include' });
    await tile(page, 'summary').getByRole('link', { name: /^Completed: .*open the learners$/ }).click();
    const context = page.getByTestId('drill-context');
    await expect(context).toContainText('Course completion · Completed');
    await expect(context).toContainText('Completed: ');
    await expect(context).toContainText('Course type: Seminar');
    await expect(context).toContainText('Inactive learners included');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn('manager', { to: '/dashboards/course-completion?CourseProgress.courseType=seminar&reach=direct' });
    await tile(page, 'summary').getByRole('link', { name: /^Enrolments: .*open the learners$/ }).click();
    await expect(context).toContainText('Course type: Seminar');
    await expect(context).toContainText('Direct reports only');
  });

  test('a link to a list asking for a figure the chart does not have says so plainly and leads back to the dashboard', async ({ page, signIn }) => {
    await signIn('admin');
    const link = new URLSearchParams({ tile: 'by-course', cell: '{}', measure: 'CourseProgress.bogus' });
    await page.goto(`/dashboards/course-completion/learners?${link.toString()}`);
    const alert = page.getByRole('alert').filter({ hasText: 'This link' });
    await expect(alert).toContainText('This link asks for a figure this chart does not have; open the chart again and choose a cell.');
    await expect(alert).not.toContainText('CourseProgress');
    await alert.getByRole('link', { name: 'Back to Course completion' }).click();
    await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
  });

  test("My team says whose learners it lists: an org admin's are everyone, not a manager's reports", async ({ page, signIn }) => {
    await signIn('admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My team' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'My team' })).toBeVisible();
    const lede = page.locator('.dashboard-head .lede');
    await expect(lede).toContainText('an administrator everyone in the organisation');
    await expect(lede).not.toHaveText(/^A manager's reports/);
  });

  test("a click on a line's point opens the learners behind that month, as its table's link does", async ({ page, signIn }) => {
    await signIn('admin');
    const byMonth = tile(page, 'completions-by-month');
    await expect(byMonth.locator('.recharts-line').first()).toBeVisible();
    await byMonth.getByText('Data table').click();
    const months = await byMonth.locator('tbody th').allTextContents();
    expect(months.length).toBeGreaterThan(2);
    // The point drawn second: its month is the second row of the chart's table.
    // The solid line's dots are drawn first (the dashed part into the month to date has its own after them).
    const dots = byMonth.locator('.recharts-line-dots').first().locator('.recharts-line-dot');
    await expect(dots.nth(1)).toBeVisible();
    const box = (await dots.nth(1).boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await expect(page).toHaveURL(/\/dashboards\/course-completion\/learners\?/);
    await expect(page.getByTestId('drill-context')).toContainText(months[1]);
    const fromPoint = await page.getByTestId('drill-total').textContent();
    // The table's link for that month opens the same list.
    await page.getByRole('link', { name: /Back to Course completion/ }).click();
    await tile(page, 'completions-by-month').getByText('Data table').click();
    await tile(page, 'completions-by-month').getByRole('link', { name: `Learners for ${months[1]}` }).click();
    await expect(page.getByTestId('drill-context')).toContainText(months[1]);
    await expect(page.getByTestId('drill-total')).toHaveText(fromPoint!);
  });

  test("a click on a point of a chart of several lines opens the learners behind that line's figure for that year", async ({ page, signIn }) => {
    await signIn('admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fiscal-year history' }).click();
    const courses = tile(page, 'courses');
    await expect(courses.locator('.recharts-line').first()).toBeVisible();
    await courses.getByText('Data table').click();
    const year = (await courses.locator('tbody th').first().textContent())!;
    // Over the first year's point the tooltip's enlarged dots show, one a line: the one on top opens its line's list.
    const dot = courses.locator('.recharts-line-dots').first().locator('.recharts-line-dot').first();
    const box = (await dot.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await courses.locator('.recharts-active-dot circle').last().click();
    await expect(page).toHaveURL(/\/dashboards\/fiscal-year-history\/learners\?.*measure=CourseHistory\.(completed|count)/);
    const measure = new URL(page.url()).searchParams.get('measure')!;
    const title = measure.endsWith('.completed') ? 'Completed' : 'Enrolments';
    await expect(page.getByTestId('drill-context')).toContainText(`Course completion by fiscal year · ${title} · `);
    await expect(page.getByTestId('drill-context')).toContainText(year);
  });

  test('learning hours by month run along the months, one line per source', async ({ page, signIn }) => {
    await signIn('admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Learning activity' }).click();
    const byMonth = tile(page, 'hours-by-month');
    await expect(byMonth.locator('.recharts-line').first()).toBeVisible();
    // The sources are the lines (the legend), the months the axis: not one line per month.
    const sources = await tile(page, 'hours-by-source').locator('.recharts-legend-item-text .legend-name').allTextContents();
    expect(sources.length).toBeGreaterThan(1);
    // One line per source (each line's dashed part into the month to date is not another source).
    await expect(byMonth.locator('.recharts-line:not(.partial-period)')).toHaveCount(sources.length);
    expect((await byMonth.locator('.recharts-legend-item-text').allTextContents()).sort()).toEqual(sources.sort());
    const labels = await byMonth.locator('svg text').allTextContents();
    expect(labels.filter((t) => /^[A-Z][a-z]+ \d{4}$/.test(t)).length).toBeGreaterThan(1);

    // A line's dot under the pointer opens that source's hours for that month: both in the list's cell.
    await byMonth.locator('.recharts-cartesian-grid').scrollIntoViewIfNeeded();
    const plot = (await byMonth.locator('.recharts-cartesian-grid').boundingBox())!;
    await page.mouse.move(plot.x + plot.width * 0.6, plot.y + plot.height / 2);
    await byMonth.locator('.recharts-active-dot circle').first().click();
    await expect(page).toHaveURL(/\/dashboards\/learning-activity\/learners\?.*measure=LearningTime\.hours/);
    const cell = JSON.parse(new URL(page.url()).searchParams.get('cell')!) as Record<string, unknown>;
    expect(Object.keys(cell).sort()).toEqual(['LearningTime.date.month', 'LearningTime.source'].sort());
    await expect(page.getByTestId('drill-context')).toContainText('Learning hours by month · Hours · ');
  });

  test('the month the data ends in is drawn dashed and said to be the month to date, not read as a drop', async ({ page, signIn }) => {
    await signIn('admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Learning activity' }).click();
    const byMonth = tile(page, 'hours-by-month');
    // The tenant's data is as of 30 June 2026 at midnight: it runs through 29 June.
    await expect(byMonth.getByTestId('partial-period')).toHaveText(/^Jun 2026: month to date, to 29 Jun, so its figures are not a whole month's/);
    await expect(byMonth.locator('.recharts-line.partial-period path[stroke-dasharray]').first()).toBeAttached();
  });

  test('a chosen period starting and ending inside months says so of its first and last months, drawn dashed', async ({ page, signIn }) => {
    await signIn('admin');
    // "Activity on" from 8 December 2025 to 15 June 2026: December holds 24 of its days, June 15.
    await page.goto('/dashboards/learning-activity?LearningTime.date=2025-12-08..2026-06-15');
    const byMonth = tile(page, 'hours-by-month');
    await expect(byMonth.getByTestId('partial-start')).toHaveText(
      "Dec 2025: from 8 Dec only, where the chosen period starts, so its figures are not a whole month's (the dashed part of the line).",
    );
    await expect(byMonth.getByTestId('partial-period')).toHaveText("Jun 2026: to 15 Jun only, where the chosen period ends, so its figures are not a whole month's (the dashed part of the line).");
    // Both ends dashed: each line's dashed part runs out of December and into June.
    const dashed = byMonth.locator('.recharts-line.partial-period path.recharts-curve');
    await expect(dashed.first()).toBeAttached();
    // The same months in the chart's table.
    await byMonth.getByText('Data table').click();
    await expect(byMonth.getByRole('row').filter({ hasText: 'Dec 2025' }).first()).toBeVisible();
    await expect(byMonth.getByRole('row').filter({ hasText: 'Jun 2026' }).first()).toBeVisible();
  });

  test('fiscal years that ended before the first load show their completions, no rates, and say why', async ({ page, signIn }) => {
    await signIn('admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fiscal-year history' }).click();
    const courses = tile(page, 'courses');
    await courses.getByText('Data table').click();
    // The tenant was loaded once: every closed year is reconstructed from completion dates.
    const closedYear = courses.getByRole('row').filter({ hasText: 'before the first load: completions only' }).first();
    await expect(closedYear).toBeVisible();
    await expect(closedYear.getByRole('cell').filter({ hasText: '%' })).toHaveCount(0);
    // The chart is not left empty: with no rate in any year it draws the counts, and says so and why.
    await expect(courses.locator('.recharts-line:not(.partial-period) path.recharts-curve')).toHaveCount(2);
    expect(await courses.locator('.recharts-legend-item-text').allTextContents()).toEqual(['Completed', 'Enrolments']);
    // Where everyone enrolled completed, the two lines are one: Enrolments is drawn thin inside a wide
    // Completed, so neither hides the other.
    expect(await courses.locator('.recharts-line:not(.partial-period) path.recharts-curve').evaluateAll((paths) => paths.map((p) => p.getAttribute('stroke-width')))).toEqual([
      '4',
      '2',
    ]);
    await expect(courses.getByTestId('drawn-instead')).toHaveText(
      'Completion rate is empty for every fiscal year shown, so the chart draws Completed and Enrolments instead.',
    );
    await expect(courses.getByTestId('point-note')).toHaveText(/^(\d{4}, )*\d{4},? and \d{4}: before the first load: completions only\.$|^\d{4}: before the first load: completions only\.$/);
    // Every year the table lists is named in the note.
    const years = (await courses.getByRole('row').allTextContents()).map((text) => /^\d{4}/.exec(text)?.[0]).filter(Boolean);
    expect(years.length).toBeGreaterThan(0);
    for (const year of years) await expect(courses.getByTestId('point-note')).toContainText(year!);
  });

  test('codes read as words, a legend in their order, each in the colour of what it means', async ({ page, signIn }) => {
    await signIn('admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Certification compliance' }).click();
    const rag = tile(page, 'by-rag');
    await expect(rag.locator('.recharts-pie-sector').first()).toBeVisible();
    const legend = await rag.locator('.recharts-legend-item-text .legend-name').allTextContents();
    expect(legend.length).toBeGreaterThan(1);
    const figures = await rag.locator('.recharts-legend-item-text .legend-figure').allTextContents();
    // Red, amber, green in that order (of those the data holds), never the codes.
    expect(legend).toEqual(['Red', 'Amber', 'Green'].filter((name) => legend.includes(name)));
    const fills = await rag.locator('.recharts-pie-sector path').evaluateAll((paths) => paths.map((p) => p.getAttribute('fill')));
    expect(fills).toEqual(legend.map((name) => ({ Red: '#b3261e', Amber: '#a15c00', Green: '#2e7d4f' })[name]));
    // The same in the table under the chart and in the filter's choices.
    await rag.getByText('Data table').click();
    await expect(rag.getByRole('rowheader', { name: legend[0], exact: true })).toBeVisible();
    await expect(rag.getByRole('rowheader', { name: /^(red|amber|green)$/ })).toHaveCount(0);
    // Each slice's figure beside its name is its row's in the table, with its share of the whole.
    const counts = await Promise.all(
      legend.map(async (name) => (await rag.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) }).getByRole('cell').first().textContent())!.trim()),
    );
    const whole = counts.reduce((sum, count) => sum + Number(count.replace(/,/g, '')), 0);
    expect(figures).toEqual(counts.map((count) => `${count} · ${Math.round((100 * Number(count.replace(/,/g, ''))) / whole)}%`));
    const state = page.getByRole('form', { name: 'Filters' }).getByLabel('State');
    await expect(state.locator('option').nth(1)).toBeAttached();
    const choices = await state.locator('option').allTextContents();
    const codes: Record<string, string> = { Assigned: 'assigned', 'In progress': 'in_progress', Certified: 'certified', 'Window open': 'window_open', Expired: 'expired' };
    expect(choices.slice(1).every((choice) => choice in codes)).toBe(true);
    // Choosing a label filters by its code: the URL carries the code, the chart one slice.
    const chosen = choices.includes('In progress') ? 'In progress' : choices[1];
    await state.selectOption({ label: chosen });
    await expect(page).toHaveURL(new RegExp(`Certification\\.state=${codes[chosen]}(&|$)`));
    await expect(tile(page, 'by-state').locator('.recharts-legend-item-text .legend-name')).toHaveText([chosen]);
    await expect(tile(page, 'by-state').locator('.recharts-legend-item-text .legend-figure')).toHaveText([/^[\d,]+ · 100%$/]);
  });

  test('a value from a link that the data does not hold (an organisation renamed since) is said to be not found beside nothing matching', async ({ page, signIn }) => {
    await signIn('admin', { to: '/dashboards/course-completion?Learner.organisationName=Renamed+since' });
    const chosen = page.getByRole('list', { name: 'Organisation: chosen' });
    await expect(chosen.getByRole('listitem')).toHaveText(['Renamed since (not found)×']);
    await expect(page.getByRole('status').filter({ hasText: 'Nothing matches these filters' })).toBeVisible();
    // A value the list holds is not marked.
    await chosen.getByRole('button', { name: 'Remove Renamed since from Organisation' }).click();
    // Taken off (the link changed) before the next is chosen: a choice made sooner would add to the old link's values.
    await expect(chosen).toHaveCount(0);
    const organisation = (await page.getByLabel('Organisation', { exact: true }).locator('option').nth(1).textContent())!;
    await page.getByLabel('Organisation', { exact: true }).selectOption(organisation);
    await expect(chosen.getByRole('listitem')).toHaveText([`${organisation}×`]);
  });

  test('a filter from a link that no list sets is shown and can be taken off; Overdue is a list of its own', async ({ page, signIn }) => {
    await signIn('admin');
    const kpi = (name: string) => tile(page, 'summary').locator('.kpi').filter({ has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd');
    await page.goto('/dashboards/program-progress');
    const everyone = await kpi('Assignments').textContent();
    // An older or hand-edited link: inactive learners only, which no control of the bar sets.
    await page.goto('/dashboards/program-progress?Learner.isActive=false');
    const others = page.getByRole('list', { name: 'Also filtered by' });
    await expect(others.getByRole('listitem')).toHaveText(['Active: no×']);
    await expect(kpi('Assignments')).not.toHaveText(everyone!);
    await others.getByRole('button', { name: 'Remove Active: no' }).click();
    await expect(page).toHaveURL(/\/dashboards\/program-progress$/);
    await expect(page.getByRole('list', { name: 'Also filtered by' })).toHaveCount(0);
    await expect(kpi('Assignments')).toHaveText(everyone!);

    // Overdue: only the assignments past their due date, so every one counted is overdue.
    await page.getByLabel('Overdue', { exact: true }).selectOption('true');
    await expect(page).toHaveURL(/ProgramProgress\.isOverdue=true/);
    await expect(kpi('Assignments')).not.toHaveText(everyone!);
    await expect(kpi('Assignments')).toHaveText((await kpi('Overdue').textContent())!);
    await page.getByLabel('Overdue', { exact: true }).selectOption('false');
    await expect(kpi('Overdue')).toHaveText('0');
    await expectNoSeriousA11yViolations(page);
  });

  test('a filter that cuts only some tiles says so on the others (a SCORM package on Learning activity)', async ({ page, signIn }) => {
    await signIn('admin', { to: '/dashboards/learning-activity' });
    const scorm = page.getByLabel('SCORM package', { exact: true });
    await expect(scorm.locator('option')).not.toHaveCount(1);
    await scorm.selectOption(await scorm.locator('option').nth(1).innerText());
    await expect(page).toHaveURL(/Scorm\.scormName=/);
    const note = 'Not filtered by SCORM package: it does not apply to these figures.';
    for (const id of ['seminar-summary', 'seminars', 'hours-by-source', 'hours-by-month']) await expect(tile(page, id).getByTestId('not-filtered')).toHaveText(note);
    for (const id of ['scorm-summary', 'scorm-by-package']) await expect(tile(page, id).getByTestId('not-filtered')).toHaveCount(0);
    // A period is one filter, whichever of its dates a tile takes: every tile here is cut by "Activity on".
    await page.getByLabel('Activity on', { exact: true }).selectOption('last-12-months');
    await expect(page.getByTestId('not-filtered').filter({ hasText: 'Activity on' })).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);
  });

  test("a link with a filter this dashboard does not take says which and what it takes, and clears to the dashboard", async ({ page, signIn }) => {
    await signIn('admin');
    // Learning activity's period, on Course completion (a link written for the other dashboard, or edited by hand).
    await page.goto('/dashboards/course-completion?Scorm.lastAccessedDate=2026-01-01..2026-03-31');
    await expect(page.getByRole('alert').filter({ hasText: 'cannot be filtered' })).toContainText(
      'the Course completion dashboard cannot be filtered by "Scorm.lastAccessedDate"; it can be filtered by',
    );
    await expectNoSeriousA11yViolations(page);
    await page.getByRole('button', { name: 'Clear the filters' }).click();
    await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Course completion' })).toBeVisible();
    await expect(tile(page, 'summary').locator('.kpi dd').first()).toHaveText(/\d/);
  });

  test("a tile whose figure failed says why in its frame while the dashboard's other tiles draw", async ({ page, signIn }) => {
    // Umbrella's published gold was built by an earlier release: its program history lacks a column this release reads.
    await signIn('staleGoldAdmin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fiscal-year history' }).click();
    await expect(page).toHaveURL(/\/dashboards\/fiscal-year-history$/);
    const programs = tile(page, 'programs');
    await expect(programs.getByRole('status')).toContainText("This figure needs the organisation's next build (queued)");
    await expect(programs.locator('svg.recharts-surface')).toHaveCount(0);
    // Waiting for a build is not cured by asking again.
    await expect(programs.getByRole('button', { name: 'Try again' })).toHaveCount(0);
    for (const id of ['courses', 'certifications', 'certification-courses']) {
      await expect(tile(page, id).locator('svg.recharts-surface[role="application"]')).toBeVisible();
      await expect(tile(page, id).getByRole('status')).toHaveCount(0);
    }
    const courses = tile(page, 'courses');
    await courses.getByText('Data table').click();
    await expect(courses.getByRole('row').filter({ hasText: 'before the first load: completions only' }).first()).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  });

  test('a dashboard whose data was never loaded says what to load', async ({ page, signIn }) => {
    await signIn('noCertsAdmin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Certification compliance' }).click();
    await expect(page).toHaveURL(/\/dashboards\/certification-compliance$/);
    await expect(page.getByRole('status').filter({ hasText: 'No certifications loaded yet' })).toContainText('cert_completions.csv');
    await expect(page.getByTestId('as-of')).toContainText('version 1');
    await expectNoSeriousA11yViolations(page);
  });

  test('a viewer granted no organisation yet is told why they see nothing, and whom to ask, not which file to load', async ({ page, signIn }) => {
    await signIn('ungrantedViewer');
    await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
    const empty = page.getByRole('status').filter({ hasText: 'Nothing here yet for the organisations you can see' });
    await expect(empty).toContainText("Your organisation's Kineo administrator chooses which organisations you see");
    await expect(page.getByText(/upload|\.csv/)).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);
  });

  test('an organisation with nothing loaded is told what to load', async ({ page, signIn }) => {
    await signIn('emptyAdmin');
    await expect(page.getByRole('status').filter({ hasText: /load an LMS export/ })).toBeVisible();
    // Its admin is taken to where the export is loaded.
    await page.getByRole('link', { name: 'Load your LMS export' }).click();
    await expect(page).toHaveURL(/\/onboarding$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Onboarding' })).toBeVisible();
    await page.goBack();
    await expectNoSeriousA11yViolations(page);
  });

  test("a dashboard prints (or saves as a PDF) as its figures and the filters set, every column on the paper's width", async ({ page, signIn }) => {
    await signIn('manager');
    // The browser's print dialog cannot open headless: the button's call is counted instead.
    await page.addInitScript(() => {
      const counted = window as unknown as { printed: number };
      counted.printed = 0;
      window.print = () => void counted.printed++;
    });
    await page.goto('/dashboards/my-team');
    const reports = tile(page, 'reports');
    await expect(reports.getByRole('table')).toBeVisible();
    await page.getByRole('button', { name: 'Print or save as PDF' }).click();
    expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);

    // On A4 sideways (297 mm less 12 mm margins each side, 96 px an inch): what is on paper.
    await page.setViewportSize({ width: Math.floor(((297 - 24) / 25.4) * 96), height: 700 });
    await page.emulateMedia({ media: 'print' });
    await expect(page.getByRole('heading', { level: 1, name: 'My team' })).toBeVisible();
    await expect(page.getByTestId('as-of')).toBeVisible();
    await expect(page.getByTestId('print-no-filters')).toHaveText('No filters: every active learner below you.');
    for (const screenOnly of [
      page.getByRole('navigation', { name: 'Main' }),
      page.getByRole('button', { name: 'Sign out' }),
      page.getByRole('button', { name: 'Print or save as PDF' }),
      reports.getByRole('button', { name: 'Export CSV' }),
      reports.getByRole('button', { name: 'Next' }),
      page.getByLabel('Organisation', { exact: true }),
      page.locator('#filter-reach'),
    ]) {
      await expect(screenOnly).toBeHidden();
    }
    // Every column of the widest table on the page's width: none cut off at the right edge.
    const wrap = reports.locator('.table-wrap');
    expect(await wrap.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(1);
    await expect(reports.getByRole('columnheader', { name: /Completed items/ })).toBeVisible();

    // A filter that is set prints as its value; the others do not print at all.
    await page.emulateMedia({ media: 'screen' });
    await page.locator('#filter-reach').selectOption('direct');
    await expect(page).toHaveURL(/reach=direct/);
    await page.emulateMedia({ media: 'print' });
    await expect(page.getByTestId('print-no-filters')).toBeHidden();
    await expect(page.locator('.filters [data-set]')).toHaveCount(1);
    await expect(page.locator('.filters [data-set]')).toHaveText(/^Reports\s*Direct reports only$/, { useInnerText: true });

    // The PDF the browser saves: A4 pages of it.
    const pdf = await page.pdf({ preferCSSPageSize: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g)?.length).toBeGreaterThanOrEqual(1);
  });

  test('the platform page for Kineo ops has no serious accessibility problem, while the fleet loads and once it has', async ({ page, signIn }) => {
    await signIn('ops');
    // The fleet's answer held back: the page as it is while it loads.
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/graphql', async (route) => {
      await held;
      await route.continue();
    });
    await page.reload();
    await expect(page.getByRole('status', { name: 'Loading the fleet' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    // Let go: this and every later request goes on at once.
    release();
    await expect(page.getByRole('status', { name: 'Loading the fleet' })).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);
    await saveScreenshot(page, 'platform');
  });
});

test.describe('the header on a laptop (1280 px)', () => {
  /** The top of each link of the main navigation, and of the Sign out button, in the page. */
  async function headerTops(page: Page): Promise<{ links: number[]; signOut: number; header: { top: number; bottom: number } }> {
    const links = await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link')
      .evaluateAll((as) => as.map((a) => Math.round(a.getBoundingClientRect().top)));
    const signOut = (await page.getByRole('button', { name: 'Sign out' }).boundingBox())!;
    const header = (await page.getByRole('banner').boundingBox())!;
    return { links, signOut: Math.round(signOut.y), header: { top: header.y, bottom: header.y + header.height } };
  }

  test("an org admin's nine links sit on one line under the name and the account, the header two lines high; Kineo ops' two links sit beside them on one", async ({ page, signIn }) => {
    await signIn('admin');
    const admin = await headerTops(page);
    expect(admin.links).toHaveLength(9);
    // Every link on one line: none left alone on a second.
    expect(new Set(admin.links).size).toBe(1);
    // The account beside the organisation's name, above the links, not on a line of its own under them.
    expect(admin.signOut).toBeLessThan(admin.links[0]);
    const height = admin.header.bottom - admin.header.top;
    await signIn('ops');
    const ops = await headerTops(page);
    expect(ops.links).toHaveLength(2);
    // Ops' links on the account's line: tops within a few pixels (a link is a little taller than the button).
    expect(Math.abs(ops.links[0] - ops.signOut)).toBeLessThan(12);
    // One line for ops, two for the admin: about twice as high, never three lines.
    const opsHeight = ops.header.bottom - ops.header.top;
    expect(height).toBeLessThan(opsHeight * 2.2);
  });
});

test.describe('on a tablet', () => {
  test.use({ viewport: { width: 768, height: 1024 }, hasTouch: true });

  test('a dashboard fits the screen: nothing but a wide table scrolls sideways', async ({ page, signIn }) => {
    await signIn('admin');
    await expect(tile(page, 'by-organisation').locator('.recharts-bar-rectangle').first()).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Course completion' })).toBeInViewport();
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeInViewport();
  });
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true });

  test("a manager's figures come first: the filters fold behind a button that says how many are set", async ({ page, signIn }) => {
    await signIn('manager');
    await expect(page).toHaveURL(/\/dashboards\/my-team$/);
    const filters = page.getByRole('form', { name: 'Filters' });
    const toggle = page.getByRole('button', { name: /^Filters/ });
    await expect(toggle).toHaveText('Filters');
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect(filters).toBeHidden();
    // Folded, the summary's figures are on the first screen, not under ten filters.
    await expect(tile(page, 'summary').getByRole('link').first()).toBeInViewport();

    // The navigation folds too, behind a button naming the page; a link followed folds it again.
    const nav = page.getByRole('navigation', { name: 'Main' });
    const menu = nav.getByRole('button', { name: 'Menu · My team' });
    await expect(menu).toHaveAttribute('aria-expanded', 'false');
    await expect(nav.getByRole('link', { name: 'Course completion' })).toBeHidden();
    await expect(page.getByRole('heading', { level: 1, name: 'My team' })).toBeInViewport();
    await saveScreenshot(page, 'phone-my-team');
    await menu.click();
    await nav.getByRole('link', { name: 'Course completion' }).click();
    await expect(page).toHaveURL(/\/dashboards\/course-completion$/);
    await expect(nav.getByRole('button', { name: 'Menu · Course completion' })).toHaveAttribute('aria-expanded', 'false');
    await expect(nav.getByRole('link', { name: 'My team' })).toBeHidden();
    await page.goBack();
    await expect(page).toHaveURL(/\/dashboards\/my-team$/);

    await toggle.click();
    await expect(filters).toBeVisible();
    await filters.getByLabel('Reports').selectOption('direct');
    await expect(page).toHaveURL(/[?&]reach=direct(&|$)/);
    await toggle.click();
    await expect(filters).toBeHidden();
    await expect(toggle).toHaveText('Filters · 1 set');
    // The count comes from the URL: a reload (or a shared link) says the same.
    await page.reload();
    await expect(page.getByRole('button', { name: 'Filters · 1 set' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  });

  test("a chart of names leaves its bars most of a phone's width, and its names, cut shorter, still tell every bar apart", async ({ page, signIn }) => {
    await signIn('noCertsAdmin');
    const bars = tile(page, 'by-organisation');
    await expect(bars.locator('.recharts-bar-rectangle').first()).toBeVisible();
    const written = await bars.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();
    expect(written).toHaveLength(50);
    expect(new Set(written).size).toBe(50);
    const names = (await bars.locator('.recharts-yAxis').boundingBox())!;
    const chart = (await bars.locator('svg.recharts-surface').first().boundingBox())!;
    expect(names.width).toBeLessThan(chart.width / 2);
    // The pie's legend sits above it, not over it.
    const pie = tile(page, 'by-status');
    const slices = (await pie.locator('.recharts-pie').boundingBox())!;
    const legend = (await pie.locator('.recharts-legend-wrapper').boundingBox())!;
    expect(legend.y + legend.height).toBeLessThanOrEqual(slices.y + 1);
  });

  test("a list of learners shows first, beside each learner, the figure it was opened from", async ({ page, signIn }) => {
    await signIn('manager');
    await tile(page, 'summary').getByRole('link', { name: /^Overdue items: .*open the learners$/ }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Learners' })).toBeVisible();
    const headers = page.getByRole('table').locator('thead th');
    await expect(headers.first()).toHaveText(/^Learner\b/);
    await expect(headers.nth(1)).toHaveText(/^Overdue items/);
    await expect(headers.nth(1)).toBeInViewport();
  });
});
