import {
  formatRegistryNumber,
  isAllowedTransition,
  normaliseDepartment,
  REGISTRY_NUMBER_PATTERN,
} from './machines';
import { generateDeviceSecret, hashDeviceSecret, verifyDeviceSecret } from './device-secret';

describe('machine lifecycle', () => {
  it('follows pending_installation → active → suspended → decommissioned', () => {
    expect(isAllowedTransition('pending_installation', 'active')).toBe(true);
    expect(isAllowedTransition('active', 'suspended')).toBe(true);
    expect(isAllowedTransition('suspended', 'active')).toBe(true);
    expect(isAllowedTransition('suspended', 'decommissioned')).toBe(true);
  });

  it('never leaves decommissioned and never goes back to pending installation', () => {
    expect(isAllowedTransition('decommissioned', 'active')).toBe(false);
    expect(isAllowedTransition('active', 'pending_installation')).toBe(false);
    expect(isAllowedTransition('pending_installation', 'suspended')).toBe(false);
  });
});

describe('registry numbers and departments', () => {
  it('formats MAQ-2026-000123', () => {
    expect(formatRegistryNumber('MAQ', 2026, 123)).toBe('MAQ-2026-000123');
    expect(REGISTRY_NUMBER_PATTERN.test('MAQ-2026-000123')).toBe(true);
  });

  it('normalises accents and case of department names', () => {
    expect(normaliseDepartment('Madre de Dios')).toBe('MADRE DE DIOS');
    expect(normaliseDepartment('Apurímac')).toBe('APURIMAC');
    expect(normaliseDepartment('Atlantis')).toBeUndefined();
  });
});

describe('device secrets', () => {
  it('verifies only the secret that was hashed, under the same key', () => {
    const secret = generateDeviceSecret();
    const hash = hashDeviceSecret('k'.repeat(32), secret);
    expect(secret).toHaveLength(43);
    expect(verifyDeviceSecret('k'.repeat(32), secret, hash)).toBe(true);
    expect(verifyDeviceSecret('k'.repeat(32), generateDeviceSecret(), hash)).toBe(false);
    expect(verifyDeviceSecret('x'.repeat(32), secret, hash)).toBe(false);
  });
});
