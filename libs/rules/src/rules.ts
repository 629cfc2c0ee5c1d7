import type { Activity, DeclaredUse, Verdict, ZoneHit, ZoneKind } from './model';

/** A norm creating an obligation: its name as published (in Spanish) and, where certain, the article. */
export interface LegalNorm {
  norm: string;
  article?: string;
}

/**
 * A rule as data. It applies at a fix when the machine's category and declared use, the zone (by kind or id), the
 * position inside or outside that zone, the department and the machine's activity all match.
 */
export interface Rule {
  id: string;
  /** Short title in Spanish (es-PE), as agencies read it. */
  title: string;
  titleEn: string;
  /** What the machine is doing wrong, in Spanish (es-PE). */
  description: string;
  descriptionEn: string;
  verdict: Verdict;
  /** The norms creating the obligation, in Spanish; never a norm for an obligation it does not create. */
  norms: readonly LegalNorm[];
  /** `norms` as one citation (`legalBasisText`); kept on every verdict. */
  legalBasis: string;
  /** Machine categories (`@app/registry`) the rule applies to; absent means every heavy machine. */
  categories?: readonly string[];
  /**
   * Declared uses the rule applies to (`null`: machines whose use is unknown); absent means whatever the use.
   */
  declaredUses?: readonly (DeclaredUse | null)[];
  /** Zone kind the rule is about; give this or `zoneId`. */
  zoneKind?: ZoneKind;
  /** A specific zone the rule is about. */
  zoneId?: string;
  /**
   * `inside`: the machine is in a matching zone (every matching zone is listed in one verdict). `outside`: it is
   * in no matching zone; the verdict is attached to the jurisdiction zone the machine is in.
   */
  where: 'inside' | 'outside';
  /** Department (upper case, as INEI writes it) where the machine must be, from jurisdiction zones. */
  department?: string;
  activities: readonly Activity[];
}

/** The citation of a rule's norms: `D.L. N° 1100, art. 5; Ley N° 26834`. */
export function legalBasisText(norms: readonly LegalNorm[]): string {
  return norms.map((n) => (n.article ? `${n.norm}, ${n.article}` : n.norm)).join('; ');
}

/** Dredges and the floating mining artefacts named beside them (balsa gringo, traca, caranchera, chupadera). */
export const WATER_MINING_CATEGORIES: readonly string[] = [
  'dredge',
  'balsa_gringo',
  'traca',
  'caranchera',
  'chupadera',
];

function rule(r: Omit<Rule, 'legalBasis'>): Rule {
  return { ...r, legalBasis: legalBasisText(r.norms) };
}

const DL_1100: LegalNorm = {
  norm: 'Decreto Legislativo N° 1100, que regula la interdicción de la minería ilegal en toda la República',
};
const LEY_26834: LegalNorm = { norm: 'Ley N° 26834, Ley de Áreas Naturales Protegidas' };
const DU_012_2010: LegalNorm = {
  norm: 'Decreto de Urgencia N° 012-2010, que declara de interés nacional el ordenamiento minero en el departamento de Madre de Dios',
};

export const DEFAULT_RULES: readonly Rule[] = [
  rule({
    id: 'dredge-in-water-body',
    title: 'Draga o artefacto flotante en un cuerpo de agua',
    titleEn: 'Dredge or floating artefact in a water body',
    description:
      'Draga o artefacto similar (balsa gringo, traca, caranchera, chupadera) en un río, lago, laguna, cocha u otro cuerpo de agua',
    descriptionEn:
      'Dredge or similar artefact (balsa gringo, traca, caranchera, chupadera) in a river, lake, lagoon, oxbow or other water body',
    verdict: 'violation',
    norms: [DL_1100],
    categories: WATER_MINING_CATEGORIES,
    zoneKind: 'water_body',
    where: 'inside',
    activities: ['operating', 'idle'],
  }),
  rule({
    id: 'operating-in-protected-area',
    title: 'Maquinaria pesada operando en un área natural protegida',
    titleEn: 'Heavy machine operating in a natural protected area',
    description: 'Maquinaria pesada operando dentro de un área natural protegida',
    descriptionEn: 'Heavy machine operating inside a natural protected area',
    verdict: 'violation',
    norms: [LEY_26834],
    zoneKind: 'protected_area',
    where: 'inside',
    activities: ['operating'],
  }),
  rule({
    id: 'operating-in-buffer-zone',
    title: 'Maquinaria pesada operando en una zona de amortiguamiento',
    titleEn: 'Heavy machine operating in a buffer zone',
    description: 'Maquinaria pesada operando en la zona de amortiguamiento de un área natural protegida',
    descriptionEn: 'Heavy machine operating in the buffer zone of a natural protected area',
    verdict: 'warning',
    norms: [{ ...LEY_26834, article: 'art. 25 (zonas de amortiguamiento)' }],
    zoneKind: 'buffer_zone',
    where: 'inside',
    activities: ['operating'],
  }),
  rule({
    id: 'operating-on-indigenous-land',
    title: 'Maquinaria pesada operando en tierras indígenas',
    titleEn: 'Heavy machine operating on indigenous land',
    description:
      'Maquinaria pesada operando en territorio de una comunidad nativa o en una reserva territorial o indígena',
    descriptionEn:
      'Heavy machine operating on the land of a native community or in a territorial or indigenous reserve',
    verdict: 'warning',
    norms: [
      {
        norm: 'Decreto Ley N° 22175, Ley de Comunidades Nativas y de Desarrollo Agrario de la Selva y de Ceja de Selva',
      },
      {
        norm: 'Ley N° 28736, Ley para la protección de pueblos indígenas u originarios en situación de aislamiento y en situación de contacto inicial',
      },
    ],
    zoneKind: 'indigenous_land',
    where: 'inside',
    activities: ['operating'],
  }),
  rule({
    id: 'operating-outside-mining-corridor',
    title: 'Minería fuera del corredor minero de Madre de Dios',
    titleEn: 'Mining outside the Madre de Dios mining corridor',
    description:
      'Maquinaria declarada para minería operando en Madre de Dios fuera del corredor minero aurífero',
    descriptionEn: 'Machine declared for mining operating in Madre de Dios outside the gold-mining corridor',
    verdict: 'violation',
    norms: [DU_012_2010],
    declaredUses: ['mining'],
    zoneKind: 'mining_corridor',
    where: 'outside',
    department: 'MADRE DE DIOS',
    activities: ['operating'],
  }),
  rule({
    id: 'unknown-use-outside-mining-corridor',
    title: 'Maquinaria de uso no declarado fuera del corredor minero de Madre de Dios',
    titleEn: 'Machine of undeclared use outside the Madre de Dios mining corridor',
    description:
      'Maquinaria pesada sin uso declarado operando en Madre de Dios fuera del corredor minero aurífero: verificar su actividad',
    descriptionEn:
      'Heavy machine without a declared use operating in Madre de Dios outside the gold-mining corridor: check what it does',
    verdict: 'warning',
    norms: [DU_012_2010],
    declaredUses: [null],
    zoneKind: 'mining_corridor',
    where: 'outside',
    department: 'MADRE DE DIOS',
    activities: ['operating'],
  }),
];

/** A rule that applies at a position, and the zone its verdict is attached to. */
export interface RuleMatch {
  rule: Rule;
  zone: ZoneHit;
}

/** Rules validated and grouped by machine category for the per-fix evaluation. */
export class RuleSet {
  readonly rules: readonly Rule[];
  private readonly byId = new Map<string, Rule>();
  private readonly byCategory = new Map<string, readonly Rule[]>();

  constructor(rules: readonly Rule[] = DEFAULT_RULES) {
    for (const rule of rules) {
      const problem = ruleProblem(rule);
      if (problem) throw new Error(`rule ${rule.id || '(no id)'}: ${problem}`);
      if (this.byId.has(rule.id)) throw new Error(`rule ${rule.id}: duplicate id`);
      this.byId.set(rule.id, rule);
    }
    this.rules = rules;
  }

  rule(id: string): Rule | undefined {
    return this.byId.get(id);
  }

  forCategory(category: string): readonly Rule[] {
    let list = this.byCategory.get(category);
    if (!list) {
      list = this.rules.filter(
        (r) => r.categories === undefined || (r.categories as readonly string[]).includes(category),
      );
      this.byCategory.set(category, list);
    }
    return list;
  }

  /**
   * Every rule applying to a machine of `category` and `declaredUse` (null or absent: unknown) doing `activity` at
   * a position inside `zones`. Overlapping zones each yield their own match; no zone cancels another's (the
   * streaming state makes one verdict of a rule's matches).
   */
  match(
    category: string,
    activity: Activity,
    zones: readonly ZoneHit[],
    declaredUse?: DeclaredUse | null,
  ): RuleMatch[] {
    const out: RuleMatch[] = [];
    const rules = this.forCategory(category);
    if (rules.length === 0) return out;
    let department: string | undefined;
    let jurisdictions: ZoneHit[] | undefined;
    for (const z of zones) {
      if (z.kind === 'jurisdiction') {
        (jurisdictions ??= []).push(z);
        if (department === undefined && z.department !== undefined) department = z.department;
      }
    }
    for (const rule of rules) {
      if (!rule.activities.includes(activity)) continue;
      if (rule.declaredUses !== undefined && !rule.declaredUses.includes(declaredUse ?? null)) continue;
      if (rule.department !== undefined && rule.department !== department) continue;
      if (rule.where === 'inside') {
        for (const z of zones) if (zoneMatches(rule, z)) out.push({ rule, zone: z });
      } else if (!zones.some((z) => zoneMatches(rule, z))) {
        const subject =
          rule.department !== undefined
            ? jurisdictions?.find((z) => z.department === rule.department)
            : jurisdictions?.[0];
        if (subject) out.push({ rule, zone: subject });
      }
    }
    return out;
  }
}

function zoneMatches(rule: Rule, zone: ZoneHit): boolean {
  if (rule.zoneId !== undefined) return zone.id === rule.zoneId;
  return zone.kind === rule.zoneKind;
}

function ruleProblem(rule: Rule): string | null {
  if (!rule.id) return 'needs an id';
  if (rule.id.includes('|')) return 'id must not contain "|"';
  if (rule.zoneKind === undefined && rule.zoneId === undefined) return 'needs zoneKind or zoneId';
  if (rule.activities.length === 0) return 'needs at least one activity';
  if (rule.norms.length === 0 || !rule.legalBasis) return 'needs a legal basis';
  if (!rule.title || !rule.description) return 'needs a title and a description in Spanish';
  return null;
}
