/**
 * Need-to-know over owners' personal data (Ley 29733 de Protección de Datos Personales): a natural person's
 * identity document and contact details go only to whom needs them; a company's RUC is public (SUNAT's register).
 */

/** Who is looking, as far as personal data is concerned. */
export interface Viewer {
  readonly role: string;
  /** The kind of the viewer's agency (`prosecutor`, `police`, …), or null without one. */
  readonly agencyKind: string | null;
}

/** Roles that see every owner whole: the registry's own staff, and the auditor who oversees them. */
const REGISTRY_ROLES = new Set(['admin', 'registry_clerk', 'auditor']);

/** Agencies whose users see a natural person's document and contacts: the public prosecutor (FEMA). */
export const PERSONAL_DATA_AGENCY_KINDS = new Set(['prosecutor']);

/** Whether the viewer sees a natural person's document number and contact details unmasked. */
export function seesPersonalData(viewer: Viewer): boolean {
  return (
    REGISTRY_ROLES.has(viewer.role) ||
    (viewer.agencyKind !== null && PERSONAL_DATA_AGENCY_KINDS.has(viewer.agencyKind))
  );
}

/**
 * Whether a document identifies a company: a RUC starting with 20 (legal entities). A natural person's RUC
 * (10, 15, 16, 17) embeds the DNI and stays personal data.
 */
export function isCompanyDocument(documentType: string, documentNumber: string): boolean {
  return documentType === 'RUC' && documentNumber.startsWith('20');
}

/**
 * Whether the viewer may look machines up by this owner document: anyone by a company's RUC; by a natural
 * person's document only who may see it whole, so the registry never serves as a directory of people.
 */
export function mayLookUpByDocument(viewer: Viewer, documentNumber: string): boolean {
  return seesPersonalData(viewer) || /^20\d{9}$/.test(documentNumber);
}

/** `41234578` → `4xxxxx78`: the first and the last two characters kept, each other one an `x`. */
export function maskDocument(documentNumber: string): string {
  if (documentNumber.length <= 3) return 'x'.repeat(documentNumber.length);
  return documentNumber[0] + 'x'.repeat(documentNumber.length - 3) + documentNumber.slice(-2);
}

/** The document number as the viewer may see it. */
export function documentFor(viewer: Viewer, documentType: string, documentNumber: string): string {
  return seesPersonalData(viewer) || isCompanyDocument(documentType, documentNumber)
    ? documentNumber
    : maskDocument(documentNumber);
}

/** The fields of an owner withheld from the viewer (empty: the owner is shown whole). */
export function withheldOwnerFields(
  viewer: Viewer,
  owner: { kind: string; documentType: string; documentNumber: string },
): Array<'documentNumber' | 'email' | 'phone' | 'address'> {
  if (seesPersonalData(viewer)) return [];
  if (owner.kind === 'company' && isCompanyDocument(owner.documentType, owner.documentNumber)) return [];
  return ['documentNumber', 'email', 'phone', 'address'];
}
