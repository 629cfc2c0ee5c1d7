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
