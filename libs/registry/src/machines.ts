/**
 * Floating mining artefacts that D.L. 1100 names beside dredges: the balsa gringo (a raft with a suction pump
 * and sluice), the traca, the caranchera and the chupadera (suction rigs working river beds and banks).
 */
export const FLOATING_MINING_ARTEFACTS = ['balsa_gringo', 'traca', 'caranchera', 'chupadera'] as const;

export const MACHINE_CATEGORIES = [
  'excavator',
  'dredge',
  ...FLOATING_MINING_ARTEFACTS,
  'front_loader',
  'backhoe',
  'bulldozer',
  'dump_truck',
  'other',
] as const;
export type MachineCategory = (typeof MACHINE_CATEGORIES)[number];

/** Each category as Peruvian Spanish names it, for what agencies read. */
export const MACHINE_CATEGORY_NAMES_ES: Record<MachineCategory, string> = {
  excavator: 'excavadora',
  dredge: 'draga',
  balsa_gringo: 'balsa gringo',
  traca: 'traca',
  caranchera: 'caranchera',
  chupadera: 'chupadera',
  front_loader: 'cargador frontal',
  backhoe: 'retroexcavadora',
  bulldozer: 'tractor de orugas',
  dump_truck: 'volquete',
  other: 'máquina',
};

/** Categories that work on water: dredges and the floating artefacts named beside them. */
export const FLOATING_MINING_CATEGORIES: readonly MachineCategory[] = [
  'dredge',
  ...FLOATING_MINING_ARTEFACTS,
];

export function isFloatingMiningCategory(category: string): boolean {
  return (FLOATING_MINING_CATEGORIES as readonly string[]).includes(category);
}

export const MACHINE_STATUSES = ['pending_installation', 'active', 'suspended', 'decommissioned'] as const;
export type MachineStatus = (typeof MACHINE_STATUSES)[number];

/** The 24 departments of Peru and the Constitutional Province of Callao, upper case as INEI writes them. */
export const DEPARTMENTS = [
  'AMAZONAS',
  'ANCASH',
  'APURIMAC',
  'AREQUIPA',
  'AYACUCHO',
  'CAJAMARCA',
  'CALLAO',
  'CUSCO',
  'HUANCAVELICA',
  'HUANUCO',
  'ICA',
  'JUNIN',
  'LA LIBERTAD',
  'LAMBAYEQUE',
  'LIMA',
  'LORETO',
  'MADRE DE DIOS',
  'MOQUEGUA',
  'PASCO',
  'PIURA',
  'PUNO',
  'SAN MARTIN',
  'TACNA',
  'TUMBES',
  'UCAYALI',
] as const;
export type Department = (typeof DEPARTMENTS)[number];

/** Accepts any case and Spanish accents ("Madre de Dios", "Apurímac") and returns the canonical name. */
export function normaliseDepartment(value: string): Department | undefined {
  const key = value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .trim()
    .toUpperCase()
    .replace(/\s+/g, ' ');
  return (DEPARTMENTS as readonly string[]).includes(key) ? (key as Department) : undefined;
}

const TRANSITIONS: Record<MachineStatus, readonly MachineStatus[]> = {
  pending_installation: ['active', 'decommissioned'],
  active: ['suspended', 'decommissioned'],
  suspended: ['active', 'decommissioned'],
  decommissioned: [],
};

export function allowedTransitions(from: MachineStatus): readonly MachineStatus[] {
  return TRANSITIONS[from];
}

export function isAllowedTransition(from: MachineStatus, to: MachineStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Registry numbers look like MAQ-2026-000123: prefix, year of enrolment, sequence within that year. */
export function formatRegistryNumber(prefix: string, year: number, sequence: number): string {
  return `${prefix}-${year}-${String(sequence).padStart(6, '0')}`;
}

export const REGISTRY_NUMBER_PATTERN = /^[A-Z]{2,5}-\d{4}-\d{6,}$/;

/** Oldest plausible model year for heavy machinery still at work. */
export const MIN_MACHINE_YEAR = 1950;
