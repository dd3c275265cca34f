// The days each period of a dashboard's URL means (dashboard-url.util.ts, loaded as TypeScript by Node's type stripping).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filtersFromParams, PERIOD_PRESETS, periodRange } from '../app/(app)/dashboards/_components/dashboard-url.util.ts';

const july = { today: '2026-12-06', fiscalYearStartMonth: 7 };
const january = { today: '2026-12-06', fiscalYearStartMonth: 1 };

test("a fiscal year is the organisation's: from its start month to the day before it comes round again", () => {
  assert.deepEqual(periodRange('this-fiscal-year', july), ['2026-07-01', '2027-06-30']);
  assert.deepEqual(periodRange('last-fiscal-year', july), ['2025-07-01', '2026-06-30']);
  // Before the start month, today is in the fiscal year that began the calendar year before.
  assert.deepEqual(periodRange('this-fiscal-year', { today: '2026-03-15', fiscalYearStartMonth: 4 }), ['2025-04-01', '2026-03-31']);
  assert.deepEqual(periodRange('this-fiscal-year', { today: '2026-04-01', fiscalYearStartMonth: 4 }), ['2026-04-01', '2027-03-31']);
  assert.deepEqual(periodRange('this-fiscal-year', january), ['2026-01-01', '2026-12-31']);
  assert.deepEqual(periodRange('this-year', july), ['2026-01-01', '2026-12-31']);
  assert.deepEqual(periodRange('last-year', july), ['2025-01-01', '2025-12-31']);
});

test('days before and after today count today in, across month and year ends', () => {
  assert.deepEqual(periodRange('last-30-days', july), ['2026-11-07', '2026-12-06']);
  assert.deepEqual(periodRange('last-90-days', { ...july, today: '2026-01-15' }), ['2025-10-18', '2026-01-15']);
  assert.deepEqual(periodRange('next-30-days', july), ['2026-12-06', '2027-01-04']);
  assert.deepEqual(periodRange('next-60-days', july), ['2026-12-06', '2027-02-03']);
  assert.deepEqual(periodRange('next-90-days', july), ['2026-12-06', '2027-03-05']);
  assert.deepEqual(periodRange('last-12-months', july), ['2025-12-07', '2026-12-06']);
  assert.deepEqual(periodRange('last-12-months', { ...july, today: '2028-02-29' }), ['2027-03-01', '2028-02-29']);
  assert.deepEqual(periodRange('this-month', { ...july, today: '2028-02-10' }), ['2028-02-01', '2028-02-29']);
  assert.deepEqual(periodRange('last-month', { ...july, today: '2027-01-10' }), ['2026-12-01', '2026-12-31']);
});

test('the next 30 or 90 days are as many days as the last 30 or 90: today and the 29 or 89 after it, as "Due in 30 days" and "Expiring in 30/90 days" count them', () => {
  const days = ([from, to]) => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  for (const today of ['2026-12-07', '2026-02-28', '2028-02-28', '2026-12-31']) {
    const context = { ...july, today };
    for (const n of [30, 90]) {
      const next = periodRange(`next-${n}-days`, context);
      const last = periodRange(`last-${n}-days`, context);
      assert.equal(next[0], today);
      assert.equal(last[1], today);
      assert.deepEqual([days(next), days(last)], [n, n], `${today} ${n}`);
      const caption = PERIOD_PRESETS.find((p) => p.id === `next-${n}-days`).caption;
      assert.match(caption, new RegExp(`^Today and the ${n - 1} days after it`));
      assert.match(caption, new RegExp(`"Expiring in ${n} days"`));
    }
  }
  // QA's case: built and read on 7 Dec 2026, "Next 30 days" ends on 5 Jan 2027, so a program due on 6 Jan 2027 is in neither it nor "Due in 30 days".
  assert.deepEqual(periodRange('next-30-days', { ...july, today: '2026-12-07' }), ['2026-12-07', '2027-01-05']);
  assert.equal(PERIOD_PRESETS.every((p) => p.caption.length > 0), true);
});

test('a range of days takes either end open, and anything else is no period', () => {
  assert.deepEqual(periodRange('2026-01-01..2026-03-31', july), ['2026-01-01', '2026-03-31']);
  assert.deepEqual(periodRange('2026-01-01..', july), ['2026-01-01', '9999-12-31']);
  assert.deepEqual(periodRange('..2026-03-31', july), ['1900-01-01', '2026-03-31']);
  for (const wrong of ['..', '2026-03-31..2026-01-01', '2026-02-30..2026-03-31', 'yesterday', '', '2026-1-1..2026-03-31']) assert.equal(periodRange(wrong, july), null, wrong);
});

test('the URL becomes filters: a period as a range of days on its member, other filters as their values', () => {
  const params = new URLSearchParams(
    'CourseProgress.completedDate=this-fiscal-year&Learner.organisationName=Nursing&Learner.organisationName=Theatres&Learner.organisationTree=/5/&LearningTime.date=nonsense&inactive=include',
  );
  assert.deepEqual(filtersFromParams(params, july), [
    { member: 'CourseProgress.completedDate', operator: 'inDateRange', values: ['2026-07-01', '2027-06-30'] },
    { member: 'Learner.organisationName', operator: 'equals', values: ['Nursing', 'Theatres'] },
    { member: 'Learner.organisationTree', operator: 'contains', values: ['/5/'] },
    { member: 'Learner.isActive', operator: 'set' },
  ]);
});
