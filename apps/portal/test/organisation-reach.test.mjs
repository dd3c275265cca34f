// What a dashboard's organisation filters say of the caller's reach (organisation-reach.util.ts, loaded as TypeScript by Node's type stripping).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reachSentence } from '../app/_client/organisation-reach.util.ts';

const org = (id, name, path, selectable) => ({ id, name, path, depth: path.split('/').length - 1, selectable });
// Two companies at the top; People & Culture and its team under the first.
const company = org(1, 'Northwind Group', '/1', false);
const division = org(2, 'People & Culture', '/1/2', true);
const team = org(3, 'Recruitment', '/1/2/3', true);
const sister = org(4, 'Southwind Ltd', '/4', true);

test("an org admin's reach is the whole organisation: nothing to say", () => {
  assert.equal(reachSentence([company, division, team, sister].map((o) => ({ ...o, selectable: true })), 'admin'), undefined);
});

test('a viewer granted a division is told it, the company above it being only a heading', () => {
  assert.equal(reachSentence([company, division, team], 'viewer'), 'You see only People & Culture and what is below it: the figures cover only those.');
});

test('a viewer granted a top-level organisation is told so too, though everything listed is theirs to choose', () => {
  // Nothing above Southwind is listed, so every organisation listed is selectable; the tenant's other
  // company is not listed at all, and a link to it must read as outside what they see, not as not found.
  assert.equal(reachSentence([sister], 'viewer'), 'You see only Southwind Ltd and what is below it: the figures cover only those.');
  assert.equal(reachSentence([{ ...company, selectable: true }, { ...division }, sister], 'viewer'), 'You see only Northwind Group and Southwind Ltd and what is below them: the figures cover only those.');
});

test("a manager is told the figures are their reports', and where those sit", () => {
  assert.equal(reachSentence([company, division, team], 'manager'), 'You see only your reports (in People & Culture and Recruitment): the figures cover only them.');
  assert.equal(reachSentence([], 'manager'), 'You see only your reports: the figures cover only them.');
});
