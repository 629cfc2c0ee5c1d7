import {
  DECLARED_USES,
  checkUseDeclaration,
  isDeclaredUse,
  miningCodeProblem,
  normaliseConcessionCode,
  normaliseReinfoCode,
} from './declared-use';
import { FLOATING_MINING_ARTEFACTS, MACHINE_CATEGORIES, isFloatingMiningCategory } from './machines';

describe('declared use', () => {
  it('lists the seven uses the registry asks for', () => {
    expect(DECLARED_USES).toEqual([
      'mining',
      'road_works',
      'forestry',
      'agriculture',
      'urban_construction',
      'goods_transport',
      'other',
    ]);
    expect(isDeclaredUse('forestry')).toBe(true);
    expect(isDeclaredUse('Mining')).toBe(false);
    expect(isDeclaredUse(null)).toBe(false);
  });

  it('accepts mining with both codes and returns them normalised', () => {
    expect(
      checkUseDeclaration({
        declaredUse: 'mining',
        reinfoCode: ' reinfo-17-000123 ',
        concessionCode: '01-00123-05',
      }),
    ).toEqual({
      declaration: { declaredUse: 'mining', reinfoCode: 'REINFO-17-000123', concessionCode: '010012305' },
      problems: [],
    });
  });

  it('accepts mining without codes and any other use on its own', () => {
    expect(checkUseDeclaration({ declaredUse: 'mining' }).declaration).toEqual({
      declaredUse: 'mining',
      reinfoCode: null,
      concessionCode: null,
    });
    expect(
      checkUseDeclaration({ declaredUse: 'road_works', reinfoCode: null, concessionCode: null }).declaration,
    ).toEqual({ declaredUse: 'road_works', reinfoCode: null, concessionCode: null });
  });

  it('refuses mining codes beside any other use, naming each field', () => {
    expect(
      checkUseDeclaration({ declaredUse: 'forestry', reinfoCode: 'REINFO-1', concessionCode: '010012305' }),
    ).toEqual({
      declaration: undefined,
      problems: [
        { field: 'reinfoCode', message: 'reinfoCode is declared only with declaredUse mining' },
        { field: 'concessionCode', message: 'concessionCode is declared only with declaredUse mining' },
      ],
    });
  });

  it('refuses mining codes when no use is declared', () => {
    expect(miningCodeProblem('reinfoCode', 'REINFO-1', undefined)).toBe(
      'reinfoCode is declared only with declaredUse mining',
    );
    expect(miningCodeProblem('reinfoCode', undefined, undefined)).toBeUndefined();
  });

  it('refuses an unknown use and malformed codes', () => {
    const checked = checkUseDeclaration({ declaredUse: 'gold', reinfoCode: 'x', concessionCode: '12' });
    expect(checked.declaration).toBeUndefined();
    expect(checked.problems.map((p) => p.field)).toEqual(['declaredUse', 'reinfoCode', 'concessionCode']);
    expect(checkUseDeclaration({ declaredUse: 'mining', concessionCode: 'ABC-123' }).problems).toEqual([
      { field: 'concessionCode', message: expect.stringContaining('7 to 10 digits') },
    ]);
  });

  it('checks the shape of REINFO references and mining right codes', () => {
    expect(normaliseReinfoCode('REINFO-17-1')).toBe('REINFO-17-1');
    expect(normaliseReinfoCode('abc')).toBeUndefined();
    expect(normaliseReinfoCode('R-1;drop')).toBeUndefined();
    expect(normaliseReinfoCode('1'.repeat(61))).toBeUndefined();
    expect(normaliseConcessionCode('010012305')).toBe('010012305');
    expect(normaliseConcessionCode('01 00123 05')).toBe('010012305');
    expect(normaliseConcessionCode('123456')).toBeUndefined();
    expect(normaliseConcessionCode('01234567890')).toBeUndefined();
    expect(normaliseConcessionCode('-0100123')).toBeUndefined();
  });
});

describe('floating mining artefacts', () => {
  it('are machine categories beside the dredge', () => {
    for (const artefact of ['balsa_gringo', 'traca', 'caranchera', 'chupadera'])
      expect(MACHINE_CATEGORIES).toContain(artefact);
    expect(FLOATING_MINING_ARTEFACTS).toHaveLength(4);
    expect(isFloatingMiningCategory('dredge')).toBe(true);
    expect(isFloatingMiningCategory('chupadera')).toBe(true);
    expect(isFloatingMiningCategory('excavator')).toBe(false);
  });
});
