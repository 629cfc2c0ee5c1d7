import type { Activity, MachineCategory, Verdict, ZoneHit, ZoneKind } from './model';

/**
 * A rule as data. It applies at a fix when the machine's category, the zone (by kind or id), the
 * position inside or outside that zone, the department and the machine's activity all match.
 */
export interface Rule {
  id: string;
  description: string;
  verdict: Verdict;
  legalBasis: string;
  /** Machine categories the rule applies to; absent means every heavy machine. */
  categories?: readonly MachineCategory[];
  /** Zone kind the rule is about; give this or `zoneId`. */
  zoneKind?: ZoneKind;
  /** A specific zone the rule is about. */
  zoneId?: string;
  /**
   * `inside`: the machine is in a matching zone (one verdict per zone). `outside`: it is in no
   * matching zone; the verdict is attached to the jurisdiction zone the machine is in.
   */
  where: 'inside' | 'outside';
  /** Department (upper case, as INEI writes it) where the machine must be, from jurisdiction zones. */
  department?: string;
  activities: readonly Activity[];
}

export const DEFAULT_RULES: readonly Rule[] = [
  {
    id: 'dredge-in-water-body',
    description: 'Dredge in a river, lake, lagoon or other water body',
    verdict: 'violation',
    legalBasis:
      'D.L. N° 1100 (prohibición del uso de dragas y artefactos similares en los cursos y cuerpos de agua)',
    categories: ['dredge'],
    zoneKind: 'water_body',
    where: 'inside',
    activities: ['operating', 'idle'],
  },
  {
    id: 'operating-in-protected-area',
    description: 'Heavy machine operating in a natural protected area',
    verdict: 'violation',
    legalBasis: 'Ley N° 26834, Ley de Áreas Naturales Protegidas; D.L. N° 1100',
    zoneKind: 'protected_area',
    where: 'inside',
    activities: ['operating'],
  },
  {
    id: 'operating-in-buffer-zone',
    description: 'Heavy machine operating in the buffer zone of a natural protected area',
    verdict: 'warning',
    legalBasis: 'Ley N° 26834, Ley de Áreas Naturales Protegidas (zonas de amortiguamiento)',
    zoneKind: 'buffer_zone',
    where: 'inside',
    activities: ['operating'],
  },
  {
    id: 'operating-on-indigenous-land',
    description: 'Heavy machine operating on indigenous land or a territorial reserve',
    verdict: 'warning',
    legalBasis: 'D.L. N° 22175 (comunidades nativas); Ley N° 28736 (pueblos en aislamiento)',
    zoneKind: 'indigenous_land',
    where: 'inside',
    activities: ['operating'],
  },
  {
    id: 'operating-outside-mining-corridor',
    description: 'Heavy machine operating in Madre de Dios outside the gold-mining corridor',
    verdict: 'violation',
    legalBasis: 'D.U. N° 012-2010 (ordenamiento de la minería aurífera en Madre de Dios)',
    zoneKind: 'mining_corridor',
    where: 'outside',
    department: 'MADRE DE DIOS',
    activities: ['operating'],
  },
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
   * Every rule applying to a machine of `category` doing `activity` at a position inside `zones`.
   * Overlapping zones each yield their own match; no zone cancels another's.
   */
  match(category: string, activity: Activity, zones: readonly ZoneHit[]): RuleMatch[] {
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
  if (!rule.legalBasis) return 'needs a legal basis';
  return null;
}
