// Where the sign-in page sends someone back to (return-to.ts, loaded as TypeScript by Node's type stripping): the portal's own pages only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeReturnPath } from '../app/_shared/return-to.ts';

test("a page of the portal, with its query, is returned to as it was", () => {
  assert.equal(safeReturnPath('/dashboards/certification-compliance?Certification.expiresDate=next-90-days'), '/dashboards/certification-compliance?Certification.expiresDate=next-90-days');
  assert.equal(safeReturnPath('/account'), '/account');
});

test('a path that leaves the portal once the browser resolves it is refused', () => {
  for (const value of ['//evil.example/x', '/\\evil.example', 'https://evil.example/dashboards', '/dashboards/..//evil.example/phish', '/dashboards/%2e%2e//evil.example', '/dashboards/../sign-in', '/sign-in', 'javascript:alert(1)']) {
    assert.equal(safeReturnPath(value), undefined, value);
  }
});
