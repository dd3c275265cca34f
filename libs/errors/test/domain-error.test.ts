import { CUSTOMER_FACING_RUN_FAILURES, DomainError, errorCode, LOAD_REJECTED, TENANT_NOT_ACTIVE } from '../src';

class LimitError extends DomainError {
  constructor(limit: number, cause?: unknown) {
    super('LIMIT_REACHED', `At most ${limit} files per load.`, { limit }, { cause });
    this.name = 'LimitError';
  }
}

describe('the platform error base', () => {
  it('keeps the stable code, the safe message and details, and the internal cause apart', () => {
    const cause = new Error('ENOSPC: /data/landing/t_000001 is full');
    const error = new LimitError(10, cause);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'LIMIT_REACHED', message: 'At most 10 files per load.', details: { limit: 10 }, name: 'LimitError' });
    expect(error.cause).toBe(cause);
    expect(error.message).not.toContain('/data');
  });

  it('reads the code of any error, with a fallback for errors that are not the platform own', () => {
    expect(errorCode(new LimitError(1))).toBe('LIMIT_REACHED');
    expect(errorCode(new Error('boom'))).toBe('INTERNAL');
    expect(errorCode('a string', 'UNKNOWN')).toBe('UNKNOWN');
  });

  it('lists a contract rejection and a load its suspended organisation never ran as the run failures whose text the customer may see', () => {
    expect([...CUSTOMER_FACING_RUN_FAILURES]).toEqual([LOAD_REJECTED, TENANT_NOT_ACTIVE]);
  });
});
