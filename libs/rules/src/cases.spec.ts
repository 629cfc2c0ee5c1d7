import type { Fix } from './model';
import { streamParams } from './params';
import { RuleSet } from './rules';
import type { StepContext } from './step';
import { BoxLookup } from './testing/box-lookup';
import { MINUTE, T0, ofType, run, track, type Place } from './testing/world';

/**
 * A river mapped twice (the regional layer and a centre-line buffer, overlapping), a lagoon beside it, inside a
 * national reserve, in Madre de Dios outside the mining corridor.
 */
const OVERLAPS = new BoxLookup([
  {
    id: 'dep-17',
    kind: 'jurisdiction',
    name: 'MADRE DE DIOS',
    legalBasis: 'INEI',
    department: 'MADRE DE DIOS',
    box: [-70, -13, -68, -11],
  },
  {
    id: 'river-regional',
    kind: 'water_body',
    name: 'Río Madre de Dios',
    legalBasis: 'D.L. N° 1100',
    layer: 'rivers-madre-de-dios',
    box: [-69.2, -12.7, -69.19, -12.5],
  },
  {
    id: 'river-centerline',
    kind: 'water_body',
    name: 'Madre de Dios',
    legalBasis: 'D.L. N° 1100',
    layer: 'rivers-natural-earth-10m',
    box: [-69.198, -12.7, -69.188, -12.5],
  },
  {
    id: 'lagoon',
    kind: 'water_body',
    name: 'Cocha de prueba',
    legalBasis: 'D.L. N° 1100',
    layer: 'water-bodies-madre-de-dios',
    box: [-69.188, -12.7, -69.18, -12.5],
  },
  {
    id: 'reserve',
    kind: 'protected_area',
    name: 'Reserva Nacional de prueba',
    legalBasis: 'D.S.',
    box: [-69.3, -12.8, -69.1, -12.4],
  },
]);

const regionalOnly: Place = { lat: -12.6, lon: -69.199 };
const bothLayers: Place = { lat: -12.6, lon: -69.194 };
const centerlineOnly: Place = { lat: -12.6, lon: -69.189 };
const lagoon: Place = { lat: -12.6, lon: -69.184 };

function ctx(category: string, declaredUse: StepContext['machine']['declaredUse']): StepContext {
  return {
    machine: {
      machineId: `m-${category}`,
      category: category as StepContext['machine']['category'],
      declaredUse,
    },
    lookup: OVERLAPS,
    rules: new RuleSet(),
    params: streamParams(),
  };
}

describe('one case per machine, legal basis and episode', () => {
  it('lists every overlapping zone of one kind in one verdict, not a verdict each', () => {
    const { events } = run(track([bothLayers, bothLayers, bothLayers, bothLayers]), ctx('dredge', 'mining'));
    const opened = ofType(events, 'verdict_open').filter((e) => e.ruleId === 'dredge-in-water-body');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.zones.map((z) => z.id)).toEqual(['river-regional', 'river-centerline']);
    expect(opened[0]?.zones.map((z) => z.layer)).toEqual([
      'rivers-madre-de-dios',
      'rivers-natural-earth-10m',
    ]);
    expect(opened[0]?.zoneId).toBe('river-regional');
  });

  it('keeps one episode while the dredge moves from one layer into the next and a lagoon beside it', () => {
    const places = [regionalOnly, regionalOnly, regionalOnly, bothLayers, centerlineOnly, lagoon, lagoon];
    const ids = (kind: 'verdict_open' | 'verdict_update' | 'verdict_close') =>
      ofType(
        run(
          track([...places, ...Array<Place>(20).fill(lagoon)], { everyMs: MINUTE }),
          ctx('dredge', 'mining'),
        ).events,
        kind,
      ).filter((e) => e.ruleId === 'dredge-in-water-body');
    expect(ids('verdict_open')).toHaveLength(1);
    expect(ids('verdict_close')).toEqual([]);
    const update = ids('verdict_update')[0];
    expect(update?.zones.map((z) => z.id)).toEqual(['river-regional', 'river-centerline', 'lagoon']);
  });

  it('keeps two legal bases two verdicts: a dredge on a river inside a reserve, outside the corridor', () => {
    const { events } = run(track([bothLayers, bothLayers, bothLayers]), ctx('dredge', 'mining'));
    expect(
      ofType(events, 'verdict_open')
        .map((e) => `${e.ruleId}:${e.zones.map((z) => z.id).join('+')}`)
        .sort(),
    ).toEqual([
      'dredge-in-water-body:river-regional+river-centerline',
      'operating-in-protected-area:reserve',
      'operating-outside-mining-corridor:dep-17',
    ]);
  });

  it('reports the zones of an episode opened by late fixes, and keeps them through a revision', () => {
    const fixes: Fix[] = track([
      ...Array<Place>(4).fill(regionalOnly),
      ...Array<Place>(4).fill(centerlineOnly),
    ]);
    const live = fixes.slice(4);
    const late = fixes.slice(0, 4).map((f) => ({ ...f, receivedAt: (fixes[7] as Fix).receivedAt + MINUTE }));
    const { events } = run([...live, ...late], ctx('dredge', 'mining'));
    const opened = ofType(events, 'verdict_open').filter((e) => e.ruleId === 'dredge-in-water-body');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.zones.map((z) => z.id)).toEqual(['river-centerline']);
    const revised = ofType(events, 'revised').filter((e) => e.ruleId === 'dredge-in-water-body');
    expect(revised.map((e) => e.changes)).toEqual([['start_moved']]);
    expect(revised[0]).toMatchObject({
      episodeId: opened[0]?.episodeId,
      since: T0,
      zoneId: 'river-centerline',
    });
  });

  it('covers the floating mining artefacts beside dredges, and warns of an unknown use outside the corridor', () => {
    const balsa = run(track([lagoon, lagoon, lagoon]), ctx('balsa_gringo', null)).events;
    expect(
      ofType(balsa, 'verdict_open')
        .map((e) => `${e.ruleId}:${e.verdict}`)
        .sort(),
    ).toEqual([
      'dredge-in-water-body:violation',
      'operating-in-protected-area:violation',
      'unknown-use-outside-mining-corridor:warning',
    ]);
    const roadWorks = run(
      track([
        { lat: -12.2, lon: -69.5 },
        { lat: -12.2, lon: -69.5 },
        { lat: -12.2, lon: -69.5 },
      ]),
      ctx('excavator', 'road_works'),
    );
    expect(ofType(roadWorks.events, 'verdict_open')).toEqual([]);
  });
});
