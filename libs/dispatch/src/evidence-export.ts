import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import type { Feature, FeatureCollection, LineString, Point } from 'geojson';
import type { ChainLink } from './evidence-chain';

/** One stored fix inside the violation, with the raw message it came in. */
export interface EvidencePosition {
  readonly fixTime: string;
  readonly receivedAt: string;
  readonly lat: number;
  readonly lon: number;
  readonly speedKmh: number | null;
  readonly headingDeg: number | null;
  readonly hdop: number | null;
  readonly satellites: number | null;
  readonly ignition: boolean | null;
  readonly flags: readonly string[];
  readonly trusted: boolean;
  readonly source: string;
  readonly messageId: string;
  readonly rawTopic: string | null;
  /** The raw payload as the device sent it: UTF-8 text for JSON, base64 for binary (Teltonika). */
  readonly rawPayload: string | null;
  readonly rawEncoding: 'utf8' | 'base64';
  readonly rawSha256: string | null;
}

export interface EvidenceStep {
  readonly id: string;
  readonly step: string;
  readonly at: string;
  readonly actor: string;
  readonly notes: string | null;
  readonly reference: string | null;
  readonly resolution: string | null;
}

/** Everything an officer or a prosecutor needs of one violation. */
export interface Evidence {
  readonly violation: {
    readonly id: string;
    readonly ruleId: string;
    readonly severity: string;
    readonly status: string;
    readonly workflowStatus: string;
    readonly description: string;
    readonly department: string | null;
    readonly startedAt: string;
    readonly confirmedAt: string;
    readonly lastSeenAt: string;
    readonly closedAt: string | null;
  };
  readonly machine: {
    readonly id: string;
    readonly registryNumber: string;
    readonly category: string;
    readonly make: string;
    readonly model: string;
    readonly serialNumber: string;
    readonly department: string;
  };
  readonly owner: {
    readonly id: string;
    readonly name: string;
    readonly documentType: string;
    readonly documentNumber: string;
  };
  readonly tracker: { readonly imei: string; readonly model: string | null };
  readonly zone: {
    readonly id: string;
    readonly name: string;
    readonly kind: string;
    readonly legalBasis: string;
    readonly catalogueVersion: string;
  };
  readonly positions: readonly EvidencePosition[];
  readonly steps: readonly EvidenceStep[];
  readonly chain: {
    readonly length: number;
    readonly head: string;
    readonly valid: boolean;
    /** Every link, so a receiver can check the chain against an `evidence.anchor` it was sent. */
    readonly links: readonly ChainLink[];
  };
}

/**
 * The track of the positions as a GeoJSON LineString, in time order; a single fix is repeated so the line stays
 * valid, and there is no track without fixes.
 */
export function trackLine(positions: readonly EvidencePosition[]): LineString | null {
  if (positions.length === 0) return null;
  const ordered = [...positions].sort((a, b) => a.fixTime.localeCompare(b.fixTime));
  const coordinates = ordered.map((p) => [p.lon, p.lat]);
  if (coordinates.length === 1) coordinates.push(coordinates[0]!);
  return { type: 'LineString', coordinates };
}

export function renderGeoJson(evidence: Evidence, generatedAt: Date): string {
  const { positions, ...rest } = evidence;
  const track: Feature<LineString | null> = {
    type: 'Feature',
    geometry: trackLine(positions),
    properties: { role: 'track', ...rest, generatedAt: generatedAt.toISOString() },
  };
  const points: Feature<Point>[] = positions.map((p) => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
    properties: { role: 'position', ...p },
  }));
  const collection: FeatureCollection<LineString | Point | null> = {
    type: 'FeatureCollection',
    features: [track, ...points],
  };
  return JSON.stringify(collection);
}

function xml(text: string | number | boolean | null): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function data(fields: Record<string, string | number | boolean | null>): string {
  return Object.entries(fields)
    .map(([name, value]) => `<Data name="${xml(name)}"><value>${xml(value)}</value></Data>`)
    .join('');
}

export function renderKml(evidence: Evidence, generatedAt: Date): string {
  const { violation: v, machine: m, zone: z } = evidence;
  const points = evidence.positions
    .map(
      (p) =>
        `<Placemark><name>${xml(p.fixTime)}</name><TimeStamp><when>${xml(p.fixTime)}</when></TimeStamp>` +
        `<ExtendedData>${data({ speedKmh: p.speedKmh, rawSha256: p.rawSha256, trusted: p.trusted })}</ExtendedData>` +
        `<Point><coordinates>${p.lon},${p.lat}</coordinates></Point></Placemark>`,
    )
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>' +
    `<name>${xml(`Violation ${v.id}`)}</name>` +
    `<description>${xml(`${v.description} — ${z.name} (${z.legalBasis})`)}</description>` +
    `<ExtendedData>${data({
      violationId: v.id,
      ruleId: v.ruleId,
      severity: v.severity,
      status: v.status,
      workflowStatus: v.workflowStatus,
      department: v.department,
      startedAt: v.startedAt,
      closedAt: v.closedAt,
      machine: m.registryNumber,
      serialNumber: m.serialNumber,
      owner: `${evidence.owner.name} (${evidence.owner.documentType} ${evidence.owner.documentNumber})`,
      imei: evidence.tracker.imei,
      zoneId: z.id,
      zoneName: z.name,
      legalBasis: z.legalBasis,
      catalogueVersion: z.catalogueVersion,
      chainLength: evidence.chain.length,
      chainHead: evidence.chain.head,
      generatedAt: generatedAt.toISOString(),
    })}</ExtendedData>` +
    kmlTrack(evidence.positions) +
    `<Folder><name>Positions</name>${points}</Folder>` +
    '</Document></kml>'
  );
}

/**
 * The track as a KML placemark: a LineString needs two coordinates at least, so a single fix is a Point, and there
 * is no track without fixes.
 */
function kmlTrack(positions: readonly EvidencePosition[]): string {
  const coordinates = positions.map((p) => `${p.lon},${p.lat}`);
  if (coordinates.length === 0) return '';
  const geometry =
    coordinates.length === 1
      ? `<Point><coordinates>${coordinates[0]}</coordinates></Point>`
      : `<LineString><coordinates>${coordinates.join(' ')}</coordinates></LineString>`;
  return `<Placemark><name>Track</name>${geometry}</Placemark>`;
}

const CSV_COLUMNS = [
  'violation_id',
  'zone_id',
  'fix_time',
  'received_at',
  'lat',
  'lon',
  'speed_kmh',
  'heading_deg',
  'hdop',
  'satellites',
  'ignition',
  'trusted',
  'flags',
  'source',
  'raw_sha256',
] as const;

function csvField(value: string | number | boolean | null): string {
  const text = String(value ?? '');
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(evidence: Evidence): string {
  const rows = evidence.positions.map((p) =>
    [
      evidence.violation.id,
      evidence.zone.id,
      p.fixTime,
      p.receivedAt,
      p.lat,
      p.lon,
      p.speedKmh,
      p.headingDeg,
      p.hdop,
      p.satellites,
      p.ignition,
      p.trusted,
      p.flags.join(' '),
      p.source,
      p.rawSha256,
    ]
      .map(csvField)
      .join(','),
  );
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

/** The system's signature of one export: Ed25519 over `{timestamp}.{sha256 hex of the bytes}`. */
export interface ExportSignature {
  readonly timestamp: string;
  readonly sha256: string;
  readonly signature: string;
  readonly keyId: string;
}

export interface SigningKey {
  /** RFC 7638 JWK thumbprint of the public key (SHA-256, base64url). */
  readonly keyId: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

/**
 * The key id of an Ed25519 public key: its RFC 7638 thumbprint, the base64url SHA-256 of the canonical JWK
 * `{"crv":"Ed25519","kty":"OKP","x":…}` (RFC 8037), so anyone holding the public key can recompute it.
 */
export function keyThumbprint(publicKeyPem: string): string {
  const jwk = createPublicKey(publicKeyPem).export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.x) throw new Error('not an Ed25519 public key');
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`).digest('base64url');
}

/** The signing key of a private key in PEM (PKCS#8): its public key and key id derived from it. */
export function signingKeyFromPem(privateKeyPem: string): SigningKey {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the evidence signing key must be Ed25519');
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { keyId: keyThumbprint(publicKeyPem), privateKeyPem, publicKeyPem };
}

export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}

function signedText(timestamp: string, sha256: string): Buffer {
  return Buffer.from(`${timestamp}.${sha256}`, 'utf8');
}

export function signExport(body: string | Buffer, key: SigningKey, at: Date): ExportSignature {
  const timestamp = at.toISOString();
  const sha256 = createHash('sha256').update(body).digest('hex');
  const signature = sign(null, signedText(timestamp, sha256), createPrivateKey(key.privateKeyPem)).toString(
    'base64',
  );
  return { timestamp, sha256, signature, keyId: key.keyId };
}

export function verifyExport(
  body: string | Buffer,
  signature: ExportSignature,
  publicKeyPem: string,
): boolean {
  const sha256 = createHash('sha256').update(body).digest('hex');
  if (sha256 !== signature.sha256) return false;
  return verify(
    null,
    signedText(signature.timestamp, sha256),
    createPublicKey(publicKeyPem),
    Buffer.from(signature.signature, 'base64'),
  );
}
