import { describeZones, fit, formatAlert, paint, span } from './live-view';
import type { AlertEvent } from './product-watch';

const plain = paint(false);
const at = new Date(2026, 11, 1, 9, 47, 23);
const river: AlertEvent = {
  type: 'violation.opened',
  at,
  violationId: 'v1',
  imei: '356307042441013',
  ruleId: 'dredge-in-water-body',
  zoneId: 'goremad-rio-madre',
  zoneName: 'Río Madre de Dios',
  zoneKind: 'water_body',
  severity: 'violation',
  title: 'Draga o artefacto flotante en un cuerpo de agua',
  description: 'Draga en un cuerpo de agua',
  status: 'open',
  legalBasis: 'D.L. N° 1100',
  registryNumber: 'MQ-2026-000123',
  position: { lat: -12.59, lon: -69.19 },
  occurredAtLocal: '2026-12-01T09:47:23-05:00',
  late: false,
};

describe('live view lines', () => {
  it('names the change, the machine, the rule and the zone of a violation', () => {
    expect(formatAlert(river, 'dredge-onto-river #1', plain)).toBe(
      '09:47:23 ● VIOLATION opened    dredge-onto-river #1 MQ-2026-000123  Draga o artefacto flotante en un cuerpo de agua · Río Madre de Dios (water body) @ -12.59000, -69.19000 · D.L. N° 1100',
    );
    expect(formatAlert({ ...river, type: 'violation.closed' }, 'm', plain)).toContain('○ VIOLATION closed');
    expect(formatAlert({ ...river, severity: 'warning' }, 'm', plain)).toContain('▲ WARNING');
    expect(formatAlert({ ...river, type: 'violation.updated' }, 'm', plain)).toBeUndefined();
    expect(formatAlert({ ...river, type: 'integrity.retracted' }, 'm', plain)).toContain(
      '○ INTEGRITY retracted',
    );
    expect(formatAlert({ ...river, late: true }, 'm', plain)).toMatch(/\(late\)$/);
    expect(formatAlert({ ...river, type: 'violation.updated', status: 'retracted' }, 'm', plain)).toContain(
      '○ VIOLATION retracted',
    );
  });

  it('shows an integrity alert by its title and description, in Spanish', () => {
    const line = formatAlert(
      {
        ...river,
        type: 'integrity.opened',
        ruleId: 'integrity.went_dark',
        zoneKind: 'integrity',
        title: 'Rastreador sin reportar',
        description: 'El rastreador no envía posiciones desde hace 45 min',
      },
      'dark-near-river #1',
      plain,
    );
    expect(line).toContain(
      '◆ INTEGRITY opened    dark-near-river #1 MQ-2026-000123  Rastreador sin reportar: El rastreador no envía posiciones desde hace 45 min',
    );
  });

  it('colours only when asked', () => {
    expect(formatAlert(river, 'm', paint(true))).toContain('\x1b[31m');
    expect(formatAlert(river, 'm', plain)).not.toContain('\x1b[');
  });

  it('cuts long lines to the terminal width without counting colour codes', () => {
    const coloured = paint(true).red('x'.repeat(50));
    expect(fit(coloured, 60)).toBe(coloured);
    const cut = fit(`${paint(true).red('abc')}${'y'.repeat(50)}`, 20);
    expect(cut.split('\x1b[31m').join('').split('\x1b[39m').join('').split('\x1b[0m').join('')).toBe(
      `abc${'y'.repeat(16)}…`,
    );
  });

  it('says where a position is: the telling zones first, else the department', () => {
    expect(
      describeZones([
        { name: 'Río Madre de Dios', kind: 'water_body' },
        { name: 'MADRE DE DIOS', kind: 'jurisdiction' },
      ]),
    ).toBe('Río Madre de Dios (water body)');
    expect(describeZones([{ name: 'LIMA', kind: 'jurisdiction' }])).toBe('LIMA, outside every other zone');
    expect(describeZones([])).toBe('outside every zone of the catalogue');
  });

  it("says how long a scenario's timeline is", () => {
    expect(span(45 * 60)).toBe('45 min');
    expect(span(71 * 60)).toBe('1 h 11 min');
    expect(span(281 * 30)).toBe('2 h 21 min');
  });
});
