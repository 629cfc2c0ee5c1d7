/**
 * What the owner declares a machine is used for. Machines enrolled before the registry asked have none: their
 * use is unknown (`null`), which is not the same as `other`.
 */
export const DECLARED_USES = [
  'mining',
  'road_works',
  'forestry',
  'agriculture',
  'urban_construction',
  'goods_transport',
  'other',
] as const;
export type DeclaredUse = (typeof DECLARED_USES)[number];

export function isDeclaredUse(value: unknown): value is DeclaredUse {
  return typeof value === 'string' && (DECLARED_USES as readonly string[]).includes(value);
}

/**
 * A REINFO (Registro Integral de Formalización Minera) reference as the owner quotes it. No published numbering
 * of the register could be confirmed (its public list identifies entries by the miner's RUC and mining right),
 * so only a sane shape is checked: 3 to 60 letters, digits, dots, dashes, slashes or spaces, at least one digit.
 */
const REINFO_CODE = /^(?=.*\d)[A-Z0-9][A-Z0-9./\- ]{1,58}[A-Z0-9]$/;

/**
 * The code of a mining right (código único of INGEMMET's mining cadastre), commonly 9 digits written with or
 * without dashes (`01-00123-05`). Its exact numbering could not be confirmed from a published specification, so
 * 7 to 10 digits are accepted; separators are dropped so the same right is always stored the same way.
 */
const CONCESSION_DIGITS = /^\d{7,10}$/;
const CONCESSION_WRITTEN = /^\d[\d -]*\d$/;

/** The REINFO reference upper-cased and trimmed, or undefined if it has not a plausible shape. */
export function normaliseReinfoCode(value: string): string | undefined {
  const code = value.trim().toUpperCase().replace(/\s+/g, ' ');
  return REINFO_CODE.test(code) ? code : undefined;
}

/** The mining right's code as digits only, or undefined if it has not a plausible shape. */
export function normaliseConcessionCode(value: string): string | undefined {
  const written = value.trim();
  if (!CONCESSION_WRITTEN.test(written)) return undefined;
  const digits = written.replace(/[- ]/g, '');
  return CONCESSION_DIGITS.test(digits) ? digits : undefined;
}

export interface UseDeclaration {
  readonly declaredUse: DeclaredUse;
  /** Only with `mining`. */
  readonly reinfoCode: string | null;
  /** Only with `mining`. */
  readonly concessionCode: string | null;
}

export type UseDeclarationField = 'declaredUse' | 'reinfoCode' | 'concessionCode';

export interface UseDeclarationProblem {
  readonly field: UseDeclarationField;
  readonly message: string;
}

export const REINFO_CODE_MESSAGE =
  'reinfoCode must be 3-60 letters, digits, dots, dashes, slashes or spaces, with at least one digit';
export const CONCESSION_CODE_MESSAGE =
  "concessionCode must be the mining right's code: 7 to 10 digits, dashes allowed (e.g. 01-00123-05)";

const MINING_CODES: Record<
  'reinfoCode' | 'concessionCode',
  { normalise: (value: string) => string | undefined; message: string }
> = {
  reinfoCode: { normalise: normaliseReinfoCode, message: REINFO_CODE_MESSAGE },
  concessionCode: { normalise: normaliseConcessionCode, message: CONCESSION_CODE_MESSAGE },
};

/**
 * What is wrong with a mining code given beside `declaredUse` (absent or unknown use included), or undefined if
 * nothing is: the code is absent, or it has a plausible shape and the use is `mining`.
 */
export function miningCodeProblem(
  field: 'reinfoCode' | 'concessionCode',
  value: unknown,
  declaredUse: unknown,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (declaredUse !== 'mining') return `${field} is declared only with declaredUse mining`;
  const { normalise, message } = MINING_CODES[field];
  return typeof value === 'string' && normalise(value) !== undefined ? undefined : message;
}

/**
 * Checks a declaration as given (absent codes are `undefined` or `null`) and returns it normalised, or the
 * problems of each field. Mining codes are accepted only alongside `mining`.
 */
export function checkUseDeclaration(input: {
  readonly declaredUse: unknown;
  readonly reinfoCode?: unknown;
  readonly concessionCode?: unknown;
}):
  | { readonly declaration: UseDeclaration; readonly problems: readonly [] }
  | { readonly declaration: undefined; readonly problems: readonly UseDeclarationProblem[] } {
  const problems: UseDeclarationProblem[] = [];
  const use = input.declaredUse;
  if (!isDeclaredUse(use)) {
    problems.push({
      field: 'declaredUse',
      message: `declaredUse must be one of: ${DECLARED_USES.join(', ')}`,
    });
  }
  for (const field of ['reinfoCode', 'concessionCode'] as const) {
    const message = miningCodeProblem(field, input[field], use);
    if (message) problems.push({ field, message });
  }
  if (problems.length > 0 || !isDeclaredUse(use)) return { declaration: undefined, problems };
  const normalised = (field: 'reinfoCode' | 'concessionCode'): string | null => {
    const value = input[field];
    return typeof value === 'string' ? (MINING_CODES[field].normalise(value) ?? null) : null;
  };
  return {
    declaration: {
      declaredUse: use,
      reinfoCode: normalised('reinfoCode'),
      concessionCode: normalised('concessionCode'),
    },
    problems: [],
  };
}
