/** A unique constraint was violated; `constraint` names which one (same on PostgreSQL and PGlite). */
export interface UniqueViolation {
  readonly constraint: string;
  readonly detail: string | undefined;
}

export function asUniqueViolation(error: unknown): UniqueViolation | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { code?: unknown; constraint?: unknown; detail?: unknown };
  if (candidate.code !== '23505') return undefined;
  return {
    constraint: typeof candidate.constraint === 'string' ? candidate.constraint : 'unknown',
    detail: typeof candidate.detail === 'string' ? candidate.detail : undefined,
  };
}

/**
 * The SQLSTATE of an error the database reported (same on PostgreSQL and PGlite: it comes with a severity), not
 * of one from the driver or the network (`ECONNREFUSED`, `EPIPE`).
 */
export function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)
    ? code
    : undefined;
}

/**
 * True when the database refused the data itself (SQLSTATE class 22, data exception, or 23, integrity constraint
 * violation): sending the same rows again fails the same way. Connection losses, shutdowns and timeouts are not.
 */
export function isDataRefusal(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== undefined && (state.startsWith('22') || state.startsWith('23'));
}
