import { agencyMaySee, recipients, route, Subscription } from './routing';

const sub = (agencyId: string, s: Partial<Subscription> = {}): Subscription => ({
  agencyId,
  zoneKinds: [],
  departments: [],
  severities: [],
  level: 0,
  ...s,
});

describe('routing alerts to agencies', () => {
  const subscriptions = [
    sub('ana', { zoneKinds: ['water_body'] }),
    sub('fema-mdd', { departments: ['MADRE DE DIOS'], severities: ['violation'] }),
    sub('sernanp', { zoneKinds: ['protected_area', 'buffer_zone'] }),
    sub('oefa', { zoneKinds: ['integrity'] }),
    sub('fema-national', { level: 1 }),
  ];
  const river = {
    zoneKind: 'water_body',
    department: 'MADRE DE DIOS',
    severity: 'violation',
    escalationLevel: 0,
  };

  it('sends an alert to every agency with a matching subscription, each once', () => {
    expect(route(subscriptions, river)).toEqual(['ana', 'fema-mdd']);
    expect(route([...subscriptions, sub('ana', { departments: ['MADRE DE DIOS'] })], river)).toEqual([
      'ana',
      'fema-mdd',
    ]);
  });

  it('filters by department and severity', () => {
    expect(route(subscriptions, { ...river, department: 'CUSCO' })).toEqual(['ana']);
    expect(route(subscriptions, { ...river, severity: 'warning' })).toEqual(['ana']);
  });

  it('adds the next level once the alert is escalated', () => {
    expect(route(subscriptions, { ...river, escalationLevel: 1 })).toEqual([
      'ana',
      'fema-mdd',
      'fema-national',
    ]);
  });

  it('routes integrity alerts by their zone kind like any other', () => {
    expect(route(subscriptions, { ...river, zoneKind: 'integrity' })).toEqual(['fema-mdd', 'oefa']);
  });

  it('lets an agency see what its subscriptions cover, whatever the severity or level', () => {
    expect(agencyMaySee(subscriptions, 'fema-mdd', { ...river, severity: 'warning' })).toBe(true);
    expect(agencyMaySee(subscriptions, 'fema-mdd', { ...river, department: 'CUSCO' })).toBe(false);
    expect(agencyMaySee(subscriptions, 'sernanp', river)).toBe(false);
    expect(agencyMaySee(subscriptions, 'fema-national', { ...river, department: 'LORETO' })).toBe(true);
    expect(agencyMaySee(subscriptions, 'unknown', river)).toBe(false);
  });

  it('sends integrity alerts to the agencies of where they are placed and of the registered department', () => {
    const integrity = { zoneKind: 'integrity', severity: 'violation', escalationLevel: 0 };
    const perDepartment: Subscription[] = [
      { agencyId: 'gore-mdd', zoneKinds: [], departments: ['MADRE DE DIOS'], severities: [], level: 0 },
      { agencyId: 'gore-cusco', zoneKinds: [], departments: ['CUSCO'], severities: [], level: 0 },
      { agencyId: 'oefa', zoneKinds: ['integrity'], departments: [], severities: [], level: 0 },
    ];
    expect(recipients(perDepartment, { ...integrity, department: 'MADRE DE DIOS' }, 'CUSCO')).toEqual([
      'gore-cusco',
      'gore-mdd',
      'oefa',
    ]);
    expect(recipients(perDepartment, { ...integrity, department: null }, 'CUSCO')).toEqual([
      'gore-cusco',
      'oefa',
    ]);
    const river = { zoneKind: 'water_body', severity: 'violation', escalationLevel: 0 };
    expect(recipients(perDepartment, { ...river, department: 'MADRE DE DIOS' }, 'CUSCO')).toEqual([
      'gore-mdd',
    ]);
    expect(recipients(perDepartment, { ...river, department: null }, 'CUSCO')).toEqual(['gore-cusco']);
  });
});
