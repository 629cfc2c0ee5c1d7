import { isDataRefusal, sqlStateOf } from './errors';

describe(isDataRefusal.name, () => {
  /** As the database reports an error (pg and PGlite): a SQLSTATE with a severity. */
  const withCode = (code: unknown) => Object.assign(new Error('refused'), { code, severity: 'ERROR' });

  it('is true for data exceptions and integrity constraint violations, which retrying cannot cure', () => {
    expect(isDataRefusal(withCode('22003'))).toBe(true); // numeric value out of range
    expect(isDataRefusal(withCode('23514'))).toBe(true); // check violation
    expect(isDataRefusal(withCode('23505'))).toBe(true); // unique violation
  });

  it('is false for connection losses, shutdowns, timeouts and errors without a SQLSTATE', () => {
    expect(isDataRefusal(withCode('08006'))).toBe(false); // connection failure
    expect(isDataRefusal(withCode('57P01'))).toBe(false); // admin shutdown
    expect(isDataRefusal(withCode('57014'))).toBe(false); // query cancelled (statement timeout)
    expect(isDataRefusal(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      false,
    );
    expect(isDataRefusal(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isDataRefusal(undefined)).toBe(false);
  });

  it('reads the SQLSTATE only when it is one', () => {
    expect(sqlStateOf(withCode('23514'))).toBe('23514');
    expect(sqlStateOf(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBeUndefined();
    expect(sqlStateOf('23514')).toBeUndefined();
  });
});
