import type { ZoneHit } from '@app/rules';
import { firstPositionOf, placeAt } from './place';

describe('placeAt', () => {
  const river: ZoneHit = { id: 'river', kind: 'water_body', name: 'Río Madre de Dios', legalBasis: '' };
  const department: ZoneHit = {
    id: 'dep-mdd',
    kind: 'jurisdiction',
    name: 'Madre de Dios',
    legalBasis: '',
    department: 'MADRE DE DIOS',
  };
  const lookupOf = (zones: readonly ZoneHit[]) => ({ zonesAt: () => zones });

  it('takes the department and province of the jurisdiction zone at the position', () => {
    expect(placeAt(lookupOf([river, department]), { lat: -12.6, lon: -69.2 })).toEqual({
      department: 'MADRE DE DIOS',
      province: null,
    });
    expect(placeAt(lookupOf([{ ...department, province: 'TAMBOPATA' }]), { lat: -12.6, lon: -69.2 })).toEqual(
      { department: 'MADRE DE DIOS', province: 'TAMBOPATA' },
    );
  });

  it('places nothing outside every jurisdiction zone or without a position', () => {
    expect(placeAt(lookupOf([river]), { lat: -12.6, lon: -69.2 })).toEqual({
      department: null,
      province: null,
    });
    expect(placeAt(lookupOf([department]), undefined)).toEqual({ department: null, province: null });
  });

  it('finds the first fix with a position', () => {
    expect(firstPositionOf([null, { lat: 'x' }, { lat: -12.6, lon: -69.2 }])).toEqual({
      lat: -12.6,
      lon: -69.2,
    });
    expect(firstPositionOf([])).toBeUndefined();
  });
});
