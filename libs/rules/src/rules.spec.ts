import type { ZoneHit } from './model';
import { DEFAULT_RULES, RuleSet } from './rules';

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
  const matches = (category: string, activity: 'operating' | 'idle' | 'transported', zones: ZoneHit[]) =>
    sut
      .match(category, activity, zones)
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
        description: 'Work near a water intake',
        verdict: 'warning',
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
