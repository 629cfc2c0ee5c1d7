import { MACHINE_CATEGORIES } from '@app/registry';
import type { DeclaredWindowKind, IntegrityKind, IntegrityMachine, MachineCategory } from './model';

/** Thresholds that depend on the kind of machine. */
export interface CategoryParams {
  /** How often the tracker of such a machine is expected to send a fix while ignition is on, ms. */
  reportingIntervalMs: number;
  /** How often it is expected to send a fix while ignition is off, ms. */
  reportingIntervalIgnitionOffMs: number;
  /** Went dark: silence longer than `reportingIntervalMs` × this, after a fix with ignition on (or unknown). */
  darkFactorIgnitionOn: number;
  /** Went dark: silence longer than `reportingIntervalIgnitionOffMs` × this, after a fix with ignition off. */
  darkFactorIgnitionOff: number;
  /** Spoofing: implied speed between consecutive fixes above this is impossible, even carried on a truck. */
  maxPlausibleSpeedKmh: number;
}

/** Tuning of the integrity detectors. Every field is documented in docs/integrity.md. */
export interface IntegrityParams {
  /** Defaults for every category; `categories` overrides them per category. */
  defaults: CategoryParams;
  categories: Partial<Record<MachineCategory, Partial<CategoryParams>>>;

  /** Went dark: a last position inside or this close to a prohibited zone raises the alert to a violation. */
  darkNearZoneMeters: number;
  /** Went dark: the machine was operating at its last fix (ignition on, below road speed) → violation. */
  darkOperatingIsViolation: boolean;
  /** Speed from which a machine counts as carried, not operating (same meaning as the rules' parameter). */
  transportSpeedKmh: number;
  /** Coverage spans (runs of fixes without a dark gap) remembered to judge late buffered fixes. */
  coverageSpans: number;
  /** Coverage is remembered this far back from the newest fix, ms (the device's buffer horizon). */
  coverageRetentionMs: number;
  /** Closed went-dark alerts remembered so that buffered fixes arriving later can revise or retract them. */
  closedDarkAlerts: number;

  /** Power: an external voltage below this (after a healthy reading) is a power cut, V. */
  powerCutVoltageV: number;
  /** Power: a voltage this fraction below the recent healthy level is a drop (warning). */
  voltageDropFraction: number;
  /** Power: consecutive low readings needed for a drop (an engine start dips the voltage for a moment). */
  voltageDropFixes: number;
  /** Power: weight of a new healthy reading in the running healthy level (exponential average). */
  voltageBaselineWeight: number;
  /** Tamper: the alert closes after this long (device time) without any tamper, unplug or towing report, ms. */
  tamperClearMs: number;

  /** Jamming: a fix with this many satellites or fewer counts as collapsed quality. */
  jamMaxSatellites: number;
  /** Jamming: a fix with an HDOP above this counts as collapsed quality. */
  jamMinHdop: number;
  /** Jamming: consecutive collapsed fixes needed… */
  jamMinFixes: number;
  /** …spanning at least this long, ms… */
  jamMinMs: number;
  /** …starting within this long after a good fix (quality collapsed, rather than always poor), ms. */
  jamCollapseWithinMs: number;
  /** Jamming: a good fix has at least this many satellites… */
  jamGoodSatellites: number;
  /** …and an HDOP at or below this (or none reported). */
  jamGoodHdop: number;
  /** Jamming: consecutive good fixes without a jamming report that close the alert. */
  jamClearFixes: number;

  /** Spoofing: jumps shorter than this are never judged by implied speed (GNSS scatter), m. */
  spoofMinJumpMeters: number;
  /** Spoofing: an impossible jump at least this long is a teleport, m. */
  teleportMeters: number;
  /** Spoofing: positions equal to this many decimals count as identical. */
  identicalDecimals: number;
  /** Spoofing: identical positions with ignition on for this long are a frozen (replayed) position, ms. */
  identicalMs: number;
  /** Spoofing: and at least this many such fixes. */
  identicalMinFixes: number;
  /** Spoofing: a device clock this far ahead of the arrival time, or behind its own sequence order, ms. */
  clockSkewToleranceMs: number;
  /** Spoofing: sequence steps larger than this are a restart or a wrap, not compared with the clock. */
  maxSequenceStep: number;
  /** Spoofing: indications within one alert that raise it from warning to violation. */
  spoofEscalateAfter: number;
  /** Spoofing: the alert closes after this long (device time) without an indication, ms. */
  spoofClearMs: number;
  /** Recent positions remembered to compare late fixes with their neighbours in event time. */
  recentPositions: number;

  /** Evidence fixes kept per alert. */
  evidenceFixes: number;
  /** While an alert holds, an update is reported at most this often (sooner when its severity rises), ms. */
  updateEveryMs: number;
  /** Which alert kinds each kind of declared window downgrades. */
  downgrades: Record<DeclaredWindowKind, readonly IntegrityKind[]>;
  /**
   * Legal basis quoted in every alert, in Spanish. No norm yet obliges a tracker to keep reporting: until the
   * registry's regulation says so, alerts cite the registry's own obligation (configurable, `INTEGRITY_LEGAL_BASIS`).
   */
  legalBasis: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The registry's own obligation, cited by integrity alerts until a norm creates it. */
export const INTEGRITY_OBLIGATION =
  'Obligación del Registro Nacional de Maquinaria Pesada: el rastreador GPS de una máquina inscrita debe permanecer instalado, energizado y reportando su posición real (obligación propia del registro, aún sin norma que la establezca)';

export const DEFAULT_INTEGRITY_PARAMS: IntegrityParams = {
  defaults: {
    reportingIntervalMs: MINUTE,
    reportingIntervalIgnitionOffMs: 30 * MINUTE,
    darkFactorIgnitionOn: 15,
    darkFactorIgnitionOff: 3,
    maxPlausibleSpeedKmh: 130,
  },
  categories: {
    dredge: { maxPlausibleSpeedKmh: 110 },
    dump_truck: { maxPlausibleSpeedKmh: 150 },
    other: { maxPlausibleSpeedKmh: 150 },
  },
  darkNearZoneMeters: 500,
  darkOperatingIsViolation: true,
  transportSpeedKmh: 15,
  coverageSpans: 32,
  coverageRetentionMs: 30 * 24 * HOUR,
  closedDarkAlerts: 8,
  powerCutVoltageV: 6,
  voltageDropFraction: 0.35,
  voltageDropFixes: 2,
  voltageBaselineWeight: 0.2,
  tamperClearMs: 30 * MINUTE,
  jamMaxSatellites: 3,
  jamMinHdop: 10,
  jamMinFixes: 5,
  jamMinMs: 10 * MINUTE,
  jamCollapseWithinMs: 15 * MINUTE,
  jamGoodSatellites: 6,
  jamGoodHdop: 3,
  jamClearFixes: 3,
  spoofMinJumpMeters: 1_000,
  teleportMeters: 20_000,
  identicalDecimals: 7,
  identicalMs: 2 * HOUR,
  identicalMinFixes: 10,
  clockSkewToleranceMs: 5 * MINUTE,
  maxSequenceStep: 10_000,
  spoofEscalateAfter: 3,
  spoofClearMs: HOUR,
  recentPositions: 16,
  evidenceFixes: 5,
  updateEveryMs: 15 * MINUTE,
  downgrades: {
    maintenance: ['went_dark', 'power_cut', 'tamper', 'gnss_jamming', 'spoofing'],
    out_of_service: ['went_dark', 'power_cut', 'tamper'],
    authorised_transport: ['went_dark', 'power_cut', 'tamper'],
  },
  legalBasis: INTEGRITY_OBLIGATION,
};

export interface IntegrityParamsOverrides extends Partial<Omit<IntegrityParams, 'defaults' | 'downgrades'>> {
  defaults?: Partial<CategoryParams>;
  downgrades?: Partial<Record<DeclaredWindowKind, readonly IntegrityKind[]>>;
}

type NumericKey = {
  [K in keyof IntegrityParams]: IntegrityParams[K] extends number ? K : never;
}[keyof IntegrityParams];

const POSITIVE: readonly NumericKey[] = [
  'coverageSpans',
  'coverageRetentionMs',
  'closedDarkAlerts',
  'voltageDropFixes',
  'jamMinFixes',
  'jamClearFixes',
  'identicalMinFixes',
  'identicalDecimals',
  'maxSequenceStep',
  'spoofEscalateAfter',
  'recentPositions',
  'evidenceFixes',
  'updateEveryMs',
];

/** `DEFAULT_INTEGRITY_PARAMS` with the overrides applied, checked; throws naming the offending field. */
export function integrityParams(overrides: IntegrityParamsOverrides = {}): IntegrityParams {
  const p: IntegrityParams = {
    ...DEFAULT_INTEGRITY_PARAMS,
    ...overrides,
    defaults: { ...DEFAULT_INTEGRITY_PARAMS.defaults, ...overrides.defaults },
    categories: { ...DEFAULT_INTEGRITY_PARAMS.categories, ...overrides.categories },
    downgrades: { ...DEFAULT_INTEGRITY_PARAMS.downgrades, ...overrides.downgrades },
  };
  for (const key of Object.keys(p) as (keyof IntegrityParams)[]) {
    const value = p[key];
    if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0))
      throw new Error(`integrity parameter ${key} must be a finite number ≥ 0`);
  }
  for (const key of POSITIVE) {
    if (!(p[key] > 0)) throw new Error(`integrity parameter ${key} must be > 0`);
  }
  checkCategory('defaults', p.defaults);
  for (const [category, partial] of Object.entries(p.categories)) {
    if (!(MACHINE_CATEGORIES as readonly string[]).includes(category))
      throw new Error(`integrity parameter categories.${category}: not a machine category`);
    checkCategory(`categories.${category}`, { ...p.defaults, ...partial });
  }
  if (p.voltageDropFraction >= 1) throw new Error('integrity parameter voltageDropFraction must be < 1');
  if (p.voltageBaselineWeight > 1) throw new Error('integrity parameter voltageBaselineWeight must be ≤ 1');
  if (p.jamGoodSatellites <= p.jamMaxSatellites)
    throw new Error('integrity parameter jamGoodSatellites must be > jamMaxSatellites');
  if (p.jamGoodHdop >= p.jamMinHdop) throw new Error('integrity parameter jamGoodHdop must be < jamMinHdop');
  if (p.teleportMeters < p.spoofMinJumpMeters)
    throw new Error('integrity parameter teleportMeters must be ≥ spoofMinJumpMeters');
  if (!Number.isInteger(p.identicalDecimals) || p.identicalDecimals > 12)
    throw new Error('integrity parameter identicalDecimals must be an integer ≤ 12');
  if (typeof p.legalBasis !== 'string' || p.legalBasis.trim() === '')
    throw new Error('integrity parameter legalBasis must be a text');
  return p;
}

function checkCategory(name: string, c: CategoryParams): void {
  for (const key of Object.keys(c) as (keyof CategoryParams)[]) {
    if (!(Number.isFinite(c[key]) && c[key] > 0))
      throw new Error(`integrity parameter ${name}.${key} must be a finite number > 0`);
  }
  if (c.darkFactorIgnitionOn < 1 || c.darkFactorIgnitionOff < 1)
    throw new Error(`integrity parameter ${name}: dark factors must be ≥ 1`);
}

/**
 * The thresholds that apply to a machine: its category's, with the reporting intervals its tracker is
 * configured for (the registry's tracker intervals) when the caller gives them.
 */
export function categoryParams(
  params: IntegrityParams,
  machine: MachineCategory | IntegrityMachine,
): CategoryParams {
  if (typeof machine === 'string') return { ...params.defaults, ...params.categories[machine] };
  const c = { ...params.defaults, ...params.categories[machine.category] };
  if (machine.reportingIntervalMs !== undefined) c.reportingIntervalMs = machine.reportingIntervalMs;
  if (machine.reportingIntervalIgnitionOffMs !== undefined)
    c.reportingIntervalIgnitionOffMs = machine.reportingIntervalIgnitionOffMs;
  return c;
}

/** How long a tracker may stay silent after a fix with this ignition state before it counts as dark. */
export function darkThresholdMs(c: CategoryParams, ignition: boolean | undefined): number {
  return ignition === false
    ? c.reportingIntervalIgnitionOffMs * c.darkFactorIgnitionOff
    : c.reportingIntervalMs * c.darkFactorIgnitionOn;
}
