import type { DeclaredUse, ZoneHit } from './model';
import { DEFAULT_RULES, RuleSet, legalBasisText } from './rules';

const zone = (id: string, kind: ZoneHit['kind'], department?: string): ZoneHit => ({
  id,
  kind,
  name: id,
  legalBasis: 'test',
  ...(department ? { department } : {}),
});
const madreDeDios = zone('dep-17', 'jurisdiction', 'MADRE DE DIOS');
const cusco = zone('dep-08', 'jurisdiction', 'CUSCO');
const river = zone('river', 'water_body');
const corridor = zone('corridor', 'mining_corridor');
const reserve = zone('reserve', 'protected_area');

describe(RuleSet.name, () => {
  const sut = new RuleSet(DEFAULT_RULES);
  const matches = (
    category: string,
    activity: 'operating' | 'idle' | 'transported',
    zones: ZoneHit[],
    declaredUse: DeclaredUse | null = 'mining',
  ) =>
    sut
      .match(category, activity, zones, declaredUse)
      .map((m) => `${m.rule.id}@${m.zone.id}`)
      .sort();

  it('applies the dredge rule only to dredges, and not while they are transported', () => {
    expect(matches('dredge', 'idle', [cusco, river])).toEqual(['dredge-in-water-body@river']);
    expect(matches('excavator', 'operating', [cusco, river])).toEqual([]);
    expect(matches('dredge', 'transported', [cusco, river])).toEqual([]);
  });

  it('attaches the corridor rule to the department, only in Madre de Dios and only outside the corridor', () => {
    expect(matches('excavator', 'operating', [madreDeDios])).toEqual([
      'operating-outside-mining-corridor@dep-17',
    ]);
    expect(matches('excavator', 'operating', [madreDeDios, corridor])).toEqual([]);
    expect(matches('excavator', 'operating', [cusco])).toEqual([]);
    expect(matches('excavator', 'idle', [madreDeDios])).toEqual([]);
  });

  it('applies the corridor rule to declared mining; unknown use is a warning, any other use nothing', () => {
    expect(matches('excavator', 'operating', [madreDeDios], null)).toEqual([
      'unknown-use-outside-mining-corridor@dep-17',
    ]);
    expect(sut.match('excavator', 'operating', [madreDeDios])[0]?.rule.verdict).toBe('warning');
    for (const use of [
      'road_works',
      'forestry',
      'agriculture',
      'urban_construction',
      'goods_transport',
      'other',
    ])
      expect(matches('excavator', 'operating', [madreDeDios], use as DeclaredUse)).toEqual([]);
    expect(matches('excavator', 'operating', [madreDeDios, corridor], null)).toEqual([]);
    expect(matches('excavator', 'operating', [cusco], null)).toEqual([]);
  });

  it('applies the water-body rule to dredges and the floating mining artefacts, whatever their declared use', () => {
    for (const category of ['dredge', 'balsa_gringo', 'traca', 'caranchera', 'chupadera'])
      expect(matches(category, 'operating', [cusco, river], 'other')).toEqual(['dredge-in-water-body@river']);
    expect(matches('front_loader', 'operating', [cusco, river])).toEqual([]);
  });

  it('keeps each rule in Spanish with its English, citing the norms that create the obligation', () => {
    for (const rule of DEFAULT_RULES) {
      expect(rule.title).toMatch(/\S/);
      expect(rule.titleEn).toMatch(/\S/);
      expect(rule.description).not.toEqual(rule.descriptionEn);
      expect(rule.norms.length).toBeGreaterThan(0);
      expect(rule.legalBasis).toBe(legalBasisText(rule.norms));
      expect(rule.legalBasis).not.toMatch(/1107/);
    }
    const byId = new Map(DEFAULT_RULES.map((r) => [r.id, r]));
    expect(byId.get('dredge-in-water-body')?.legalBasis).toMatch(/^Decreto Legislativo N° 1100/);
    expect(byId.get('operating-outside-mining-corridor')?.legalBasis).toMatch(
      /^Decreto de Urgencia N° 012-2010/,
    );
    expect(byId.get('operating-in-buffer-zone')?.legalBasis).toBe(
      'Ley N° 26834, Ley de Áreas Naturales Protegidas, art. 25 (zonas de amortiguamiento)',
    );
  });

  it('lets every overlapping zone yield its own verdict', () => {
    const otherRiver = zone('other-river', 'water_body');
    expect(matches('dredge', 'operating', [madreDeDios, corridor, river, otherRiver, reserve])).toEqual([
      'dredge-in-water-body@other-river',
      'dredge-in-water-body@river',
      'operating-in-protected-area@reserve',
    ]);
  });

  it('matches a rule written for one specific zone', () => {
    const custom = new RuleSet([
      {
        id: 'no-work-near-intake',
        title: 'Obras junto a una captación de agua',
        titleEn: 'Work near a water intake',
        description: 'Obras junto a una captación de agua',
        descriptionEn: 'Work near a water intake',
        verdict: 'warning',
        norms: [{ norm: 'Ordenanza regional (test)' }],
        legalBasis: 'Ordenanza regional (test)',
        zoneId: 'river',
        where: 'inside',
        activities: ['operating'],
      },
    ]);
    expect(
      custom.match('bulldozer', 'operating', [river, zone('river-2', 'water_body')]).map((m) => m.zone.id),
    ).toEqual(['river']);
  });

  it('rejects rules that cannot be evaluated', () => {
    const base = DEFAULT_RULES[0] as (typeof DEFAULT_RULES)[number];
    expect(() => new RuleSet([{ ...base, zoneKind: undefined }])).toThrow(/zoneKind or zoneId/);
    expect(() => new RuleSet([{ ...base, activities: [] }])).toThrow(/activity/);
    expect(() => new RuleSet([base, base])).toThrow(/duplicate/);
    expect(() => new RuleSet([{ ...base, legalBasis: '' }])).toThrow(/legal basis/);
  });
});
