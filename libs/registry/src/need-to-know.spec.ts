import {
  documentFor,
  maskDocument,
  mayLookUpByDocument,
  seesPersonalData,
  withheldOwnerFields,
} from './need-to-know';

describe('need-to-know over owners’ personal data', () => {
  const officer = { role: 'enforcement_officer', agencyKind: 'police' };
  const prosecutor = { role: 'enforcement_officer', agencyKind: 'prosecutor' };

  it('masks a document keeping its first and last two characters', () => {
    expect(maskDocument('41234578')).toBe('4xxxxx78');
    expect(maskDocument('10412345781')).toBe('1xxxxxxxx81');
    expect(maskDocument('123')).toBe('xxx');
  });

  it('shows personal data to the registry, the auditor and prosecutors only', () => {
    expect(seesPersonalData({ role: 'admin', agencyKind: null })).toBe(true);
    expect(seesPersonalData({ role: 'registry_clerk', agencyKind: null })).toBe(true);
    expect(seesPersonalData({ role: 'auditor', agencyKind: null })).toBe(true);
    expect(seesPersonalData(prosecutor)).toBe(true);
    expect(seesPersonalData({ role: 'agency_integration', agencyKind: 'prosecutor' })).toBe(true);
    expect(seesPersonalData(officer)).toBe(false);
    expect(seesPersonalData({ role: 'agency_integration', agencyKind: 'water' })).toBe(false);
  });

  it('keeps a company’s RUC public and a natural person’s RUC (which embeds the DNI) masked', () => {
    expect(documentFor(officer, 'RUC', '20131312955')).toBe('20131312955');
    expect(documentFor(officer, 'RUC', '10412345781')).toBe('1xxxxxxxx81');
    expect(documentFor(officer, 'DNI', '41234578')).toBe('4xxxxx78');
    expect(documentFor(officer, 'CE', '001234567')).toBe('0xxxxxx67');
    expect(documentFor(prosecutor, 'DNI', '41234578')).toBe('41234578');
  });

  it('lets only who sees personal data look machines up by a natural person’s document', () => {
    expect(mayLookUpByDocument(officer, '20131312955')).toBe(true);
    expect(mayLookUpByDocument(officer, '41234578')).toBe(false);
    expect(mayLookUpByDocument(officer, '10412345781')).toBe(false);
    expect(mayLookUpByDocument(prosecutor, '41234578')).toBe(true);
  });

  it('withholds a natural person’s document and contacts, nothing of a company', () => {
    const person = { kind: 'person', documentType: 'DNI', documentNumber: '41234578' };
    const company = { kind: 'company', documentType: 'RUC', documentNumber: '20131312955' };
    expect(withheldOwnerFields(officer, person)).toEqual(['documentNumber', 'email', 'phone', 'address']);
    expect(withheldOwnerFields(officer, company)).toEqual([]);
    expect(withheldOwnerFields(prosecutor, person)).toEqual([]);
  });
});
