import {
  assertIdentifier,
  isIdentifier,
  isTenantNamespace,
  namespaceForTenantSeq,
  slugProblem,
  TenancyError,
} from '../src';

describe('tenant naming', () => {
  it('gives each tenant sequence number its own namespace, in base 36 with at least six digits', () => {
    expect(namespaceForTenantSeq(1)).toBe('t_000001');
    expect(namespaceForTenantSeq(36)).toBe('t_000010');
    expect(namespaceForTenantSeq(2 ** 40)).toBe(`t_${(2 ** 40).toString(36).padStart(6, '0')}`);
    expect(isTenantNamespace(namespaceForTenantSeq(123_456))).toBe(true);
  });

  it('refuses a sequence number that is not a positive integer, naming it', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
      expect(() => namespaceForTenantSeq(bad)).toThrow(TenancyError);
      expect(() => namespaceForTenantSeq(bad)).toThrow(`invalid tenant sequence number: ${bad}`);
    }
  });

  it('accepts warehouse identifiers of 3 to 63 lower-case letters, digits and underscores, starting with a letter', () => {
    for (const good of ['abc', 't_000001', 'kineo_t_000001_gold', 'a'.repeat(63)]) expect(isIdentifier(good)).toBe(true);
    for (const bad of ['ab', '1abc', '_abc', 'Abc', 'a-b-c', 'a b', 'abc;drop', 'a'.repeat(64), 42]) expect(isIdentifier(bad)).toBe(false);
  });

  it('throws a TenancyError with a stable code that names the refused identifier', () => {
    expect(assertIdentifier('t_000001')).toBe('t_000001');
    const error = (() => {
      try {
        assertIdentifier('t_1"; drop schema x');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(TenancyError);
    expect(error).toMatchObject({ code: 'IDENTIFIER_INVALID', message: expect.stringContaining('t_1\\"; drop schema x') });
  });

  it('tells what is wrong with a slug, or nothing when it is fine', () => {
    expect(slugProblem('acme-health')).toBeUndefined();
    expect(slugProblem('ab')).toBe('is 2 characters long; a slug has 3 to 40');
    expect(slugProblem('acme health')).toContain('contains spaces');
    expect(slugProblem('Acme')).toBe('contains upper-case letters; use "acme"');
    expect(slugProblem('acme-')).toContain('must not end with a hyphen');
    expect(slugProblem('acme--health')).toBe('must not contain two hyphens in a row');
  });
});
