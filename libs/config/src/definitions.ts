/**
 * Every environment key the product reads, with its default and meaning.
 * `docs/configuration.md` is checked against this table by a unit test.
 */
export interface KeyDefinition<T> {
  readonly key: string;
  readonly description: string;
  /** Human-readable default, as documented. */
  readonly defaultText: string;
  parse(raw: string | undefined): T;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export class InvalidValue extends Error {}

export function optionalString(key: string, description: string): KeyDefinition<string | undefined> {
  return {
    key,
    description,
    defaultText: '(unset)',
    parse: (raw) => (raw === undefined || raw.trim() === '' ? undefined : raw.trim()),
  };
}

export function stringWithDefault(key: string, description: string, fallback: string): KeyDefinition<string> {
  return {
    key,
    description,
    defaultText: fallback,
    parse: (raw) => (raw === undefined || raw.trim() === '' ? fallback : raw.trim()),
  };
}

export function integer(
  key: string,
  description: string,
  fallback: number,
  min: number,
  max: number,
): KeyDefinition<number> {
  return {
    key,
    description,
    defaultText: String(fallback),
    parse: (raw) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      if (!/^-?\d+$/.test(raw.trim())) throw new InvalidValue(`must be an integer, got "${raw}"`);
      const value = Number(raw);
      if (value < min || value > max)
        throw new InvalidValue(`must be between ${min} and ${max}, got ${value}`);
      return value;
    },
  };
}

export function oneOf<T extends string>(
  key: string,
  description: string,
  values: readonly T[],
  fallback: T,
): KeyDefinition<T> {
  return {
    key,
    description,
    defaultText: fallback,
    parse: (raw) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = raw.trim() as T;
      if (!values.includes(value))
        throw new InvalidValue(`must be one of ${values.join(', ')}, got "${raw}"`);
      return value;
    },
  };
}

export function url(
  key: string,
  description: string,
  protocols: readonly string[],
  defaultText = '(unset: embedded mode)',
): KeyDefinition<string | undefined> {
  return {
    key,
    description,
    defaultText,
    parse: (raw) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      let parsed: URL;
      try {
        parsed = new URL(raw.trim());
      } catch {
        throw new InvalidValue(`must be a URL, got "${raw}"`);
      }
      if (!protocols.includes(parsed.protocol)) {
        throw new InvalidValue(`must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
      }
      return raw.trim();
    },
  };
}

export function secret(
  key: string,
  description: string,
  minLength: number,
): KeyDefinition<string | undefined> {
  return {
    key,
    description,
    defaultText: '(unset: generated once and kept in DATA_DIR in embedded mode; required with DATABASE_URL)',
    parse: (raw) => {
      if (raw === undefined || raw === '') return undefined;
      if (raw.length < minLength) throw new InvalidValue(`must be at least ${minLength} characters long`);
      return raw;
    },
  };
}

/**
 * The shortest password the product accepts, for every account including the first administrator's: NIST SP
 * 800-63B asks for at least 8 characters where a password is the only factor and recommends longer ones.
 */
export const MIN_PASSWORD_LENGTH = 12;

/** A password that, when given, is at least MIN_PASSWORD_LENGTH characters long (counted as Unicode characters). */
export function optionalPassword(key: string, description: string): KeyDefinition<string | undefined> {
  return {
    key,
    description,
    defaultText: '(unset)',
    parse: (raw) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      const length = [...raw].length;
      if (length < MIN_PASSWORD_LENGTH)
        throw new InvalidValue(
          `must be at least ${MIN_PASSWORD_LENGTH} characters long (NIST SP 800-63B), got ${length}`,
        );
      return raw;
    },
  };
}
