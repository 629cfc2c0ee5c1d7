import {
  Evidence,
  generateSigningKey,
  renderCsv,
  renderGeoJson,
  renderKml,
  signExport,
  trackLine,
  verifyExport,
} from './evidence-export';

const position = (minute: number, lat: number) => ({
  fixTime: `2026-11-20T08:0${minute}:00.000Z`,
  receivedAt: `2026-11-20T08:0${minute}:01.000Z`,
  lat,
  lon: -69.55,
  speedKmh: 2,
  headingDeg: 90,
  hdop: 0.9,
  satellites: 11,
  ignition: true,
  flags: [],
  trusted: true,
  source: 'json',
  messageId: `m${minute}`,
  rawTopic: 'devices/356307042441013/fixes',
  rawPayload: '{"lat":-12.85}',
  rawEncoding: 'utf8' as const,
  rawSha256: `sha${minute}`,
});

const evidence: Evidence = {
  violation: {
    id: 'v1',
    ruleId: 'dredge-in-water-body',
    severity: 'violation',
    status: 'open',
    workflowStatus: 'new',
    description: 'Dredge in a water body <DL 1100> & "more"',
    department: 'MADRE DE DIOS',
    startedAt: '2026-11-20T08:03:00.000Z',
    confirmedAt: '2026-11-20T08:05:00.000Z',
    lastSeenAt: '2026-11-20T08:08:00.000Z',
    closedAt: null,
  },
  machine: {
    id: 'm1',
    registryNumber: 'MAQ-2026-000001',
    category: 'dredge',
    make: 'X',
    model: 'Y',
    serialNumber: 'S1',
    department: 'MADRE DE DIOS',
  },
  owner: { id: 'o1', name: 'Minera, "Tres" Islas', documentType: 'RUC', documentNumber: '20123456789' },
  tracker: { imei: '356307042441013', model: 'FMC650' },
  zone: { id: 'river-1', name: 'Río', kind: 'water_body', legalBasis: 'DL 1100', catalogueVersion: 'abc' },
  positions: [position(3, -12.8502), position(4, -12.8503)],
  steps: [],
  chain: { length: 2, head: 'f'.repeat(64), valid: true, links: [] },
};
const at = new Date('2026-12-01T10:00:00Z');

describe('evidence exports', () => {
  it('renders GeoJSON with the track as a LineString and each raw position as a point', () => {
    const parsed = JSON.parse(renderGeoJson(evidence, at));
    expect(parsed.type).toBe('FeatureCollection');
    expect(parsed.features[0].geometry).toEqual({
      type: 'LineString',
      coordinates: [
        [-69.55, -12.8502],
        [-69.55, -12.8503],
      ],
    });
    expect(parsed.features[0].properties.zone.legalBasis).toBe('DL 1100');
    expect(parsed.features[0].properties.chain.head).toBe('f'.repeat(64));
    expect(
      parsed.features.slice(1).map((f: { properties: { rawPayload: string } }) => f.properties.rawPayload),
    ).toEqual(['{"lat":-12.85}', '{"lat":-12.85}']);
    expect(trackLine([position(1, -12)])!.coordinates).toHaveLength(2);
    expect(trackLine([])).toBeNull();
    expect(JSON.parse(renderGeoJson({ ...evidence, positions: [] }, at)).features[0].geometry).toBeNull();
    expect(trackLine([position(4, -12.4), position(3, -12.3)])!.coordinates).toEqual([
      [-69.55, -12.3],
      [-69.55, -12.4],
    ]);
  });

  it('renders KML with escaped text, the track and the positions', () => {
    const kml = renderKml(evidence, at);
    expect(kml).toContain(
      '<LineString><coordinates>-69.55,-12.8502 -69.55,-12.8503</coordinates></LineString>',
    );
    expect(kml).toContain('&lt;DL 1100&gt; &amp; &quot;more&quot;');
    expect(kml).not.toContain('<DL 1100>');
    expect(kml.match(/<Point>/g)).toHaveLength(2);
  });

  it('renders the KML track of a single fix as a Point, a LineString needing two coordinates', () => {
    const kml = renderKml({ ...evidence, positions: [position(1, -12.8502)] }, at);

    expect(kml).not.toContain('<LineString>');
    expect(kml).toContain(
      '<Placemark><name>Track</name><Point><coordinates>-69.55,-12.8502</coordinates></Point>',
    );
  });

  it('renders no KML track without fixes', () => {
    const kml = renderKml({ ...evidence, positions: [] }, at);

    expect(kml).not.toContain('<name>Track</name>');
    expect(kml).not.toContain('<coordinates>');
  });

  it('renders CSV with one quoted-where-needed row per position', () => {
    const csv = renderCsv(evidence).split('\r\n');
    expect(csv[0]).toMatch(/^violation_id,zone_id,fix_time,/);
    expect(csv[1]).toBe(
      'v1,river-1,2026-11-20T08:03:00.000Z,2026-11-20T08:03:01.000Z,-12.8502,-69.55,2,90,0.9,11,true,true,,json,sha3',
    );
    expect(csv).toHaveLength(4);
  });

  it('signs an export with the system key; any change to the bytes or the timestamp fails verification', () => {
    const key = generateSigningKey();
    const body = renderCsv(evidence);
    const signature = signExport(body, key, at);
    expect(signature.timestamp).toBe('2026-12-01T10:00:00.000Z');
    expect(verifyExport(body, signature, key.publicKeyPem)).toBe(true);
    expect(verifyExport(body.replace('-12.8502', '-12.8000'), signature, key.publicKeyPem)).toBe(false);
    expect(
      verifyExport(body, { ...signature, timestamp: '2026-12-02T10:00:00.000Z' }, key.publicKeyPem),
    ).toBe(false);
    expect(verifyExport(body, signature, generateSigningKey().publicKeyPem)).toBe(false);
  });
});
